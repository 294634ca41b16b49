"""The tool catalogue: eight everyday tools, each with typed parameters and a request maker.

Each maker draws fresh values and returns the user's request in words and the
arguments it implies. Every request needs one small step of reasoning beyond
copying (hours to minutes, "me and three friends" to 4, 7:30 pm to 19:30, a
currency's name to its code, weeks to days, half of an amount, a date three
days on, a dozen to 12), so a model can fail on the content as well as on the
format, and the two failures can be told apart.

The same makers give the synthetic random model its guesses (plausible values
of the right types for any tool).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Callable, Literal

Kind = Literal["integer", "number", "string"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    hint: str
    enum: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        if self.enum:
            return {"type": "string", "enum": list(self.enum)}
        return {"type": self.kind}

    def describe(self) -> str:
        kind = " or ".join(f'"{e}"' for e in self.enum) if self.enum else self.kind
        return f"{self.name} ({kind}): {self.hint}"


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    params: tuple[Param, ...]

    def arguments_schema(self) -> dict[str, Any]:
        """The arguments object: every parameter required, nothing else allowed (what strict APIs ask for)."""
        return {"type": "object", "properties": {p.name: p.schema() for p in self.params},
                "required": [p.name for p in self.params], "additionalProperties": False}

    def describe(self) -> str:
        params = "\n".join(f"    - {p.describe()}" for p in self.params)
        return f"- {self.name}: {self.description}\n  Parameters:\n{params}"


CURRENCIES = {"USD": "US dollars", "EUR": "euros", "GBP": "British pounds", "JPY": "Japanese yen",
              "CHF": "Swiss francs"}
ACCOUNTS = ("checking", "savings", "brokerage")
ROOMS = ("living room", "bedroom", "kitchen", "office")
RESTAURANTS = ("Casa Verde", "Blue Lotus", "Harbor Grill", "Little Saigon", "Olive Tree", "Red Fern", "Sakura House")
CITIES = ("Oslo", "Lisbon", "Nairobi", "Lima", "Osaka", "Denver", "Tallinn", "Perth", "Accra", "Quito")
TITLES = ("Budget review", "Dentist", "Team lunch", "Piano lesson", "Car service", "Book club", "Yoga class")
ITEMS = ("eggs", "bagels", "roses", "pencils", "donuts", "candles")
SOUNDS = ("bell", "chime", "beep")
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("set_timer", "Start a countdown timer.", (
        Param("minutes", "integer", "length of the timer in minutes"),
        Param("sound", "string", "sound played at the end", SOUNDS))),
    Tool("book_table", "Reserve a table at a restaurant.", (
        Param("restaurant", "string", "name of the restaurant"),
        Param("people", "integer", "number of guests in total"),
        Param("time", "string", 'time of the booking, 24-hour "HH:MM"'))),
    Tool("convert_currency", "Convert an amount of money from one currency to another.", (
        Param("amount", "number", "amount in the source currency"),
        Param("source", "string", "currency of the amount", tuple(CURRENCIES)),
        Param("target", "string", "currency to convert to", tuple(CURRENCIES)))),
    Tool("get_forecast", "Weather forecast for a city.", (
        Param("city", "string", "name of the city"),
        Param("days", "integer", "how many days ahead"),
        Param("unit", "string", "temperature unit", ("celsius", "fahrenheit")))),
    Tool("transfer_money", "Move money between the user's own accounts.", (
        Param("from_account", "string", "account the money leaves", ACCOUNTS),
        Param("to_account", "string", "account the money goes to", ACCOUNTS),
        Param("amount", "number", "amount in dollars"))),
    Tool("create_event", "Add an event to the user's calendar.", (
        Param("title", "string", "title of the event"),
        Param("date", "string", 'day of the event, "YYYY-MM-DD"'),
        Param("duration_minutes", "integer", "length of the event in minutes"))),
    Tool("set_thermostat", "Set the target temperature of a room, in degrees Celsius.", (
        Param("room", "string", "which room", ROOMS),
        Param("temperature", "number", "target temperature in degrees Celsius"))),
    Tool("order_items", "Order a quantity of one item from the corner shop.", (
        Param("item", "string", "what to order", ITEMS),
        Param("quantity", "integer", "how many single pieces"))),
)}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _count(n: int, word: str) -> str:
    """"a week", "two weeks", "one friend", "three friends": a small count in words."""
    return f"{NUMBER_WORDS[n]} {word}" + ("" if n == 1 else "s")


def _timer(rng: random.Random) -> tuple[str, dict[str, Any]]:
    hours, minutes = rng.randint(1, 3), rng.choice(range(5, 60, 5))
    sound = rng.choice(SOUNDS)
    text = f"Set a timer for {_plural(hours, 'hour')} and {minutes} minutes, and let it end with the {sound} sound."
    return text, {"minutes": 60 * hours + minutes, "sound": sound}


def _table(rng: random.Random) -> tuple[str, dict[str, Any]]:
    name, friends = rng.choice(RESTAURANTS), rng.randint(1, 6)
    hour, minute = rng.randint(5, 10), rng.choice((0, 15, 30, 45))
    text = (f"Please book a table at {name} for me and {_count(friends, 'friend')} at "
            f"{hour}:{minute:02d} pm.")
    return text, {"restaurant": name, "people": friends + 1, "time": f"{hour + 12}:{minute:02d}"}


def _currency(rng: random.Random) -> tuple[str, dict[str, Any]]:
    source, target = rng.sample(sorted(CURRENCIES), 2)
    amount = rng.choice(range(20, 1000, 10))
    text = f"How many {CURRENCIES[target]} would I get for {amount} {CURRENCIES[source]}?"
    return text, {"amount": amount, "source": source, "target": target}


def _forecast(rng: random.Random) -> tuple[str, dict[str, Any]]:
    city, weeks, extra = rng.choice(CITIES), rng.randint(1, 2), rng.randint(1, 6)
    unit = rng.choice(("celsius", "fahrenheit"))
    span = "week" if weeks == 1 else _count(weeks, "week")
    text = (f"What will the weather be like in {city} over the next {span} and {_count(extra, 'day')}? "
            f"Temperatures in {unit.capitalize()}, please.")
    return text, {"city": city, "days": 7 * weeks + extra, "unit": unit}


def _transfer(rng: random.Random) -> tuple[str, dict[str, Any]]:
    src, dst = rng.sample(ACCOUNTS, 2)
    share, word = rng.choice(((2, "half"), (4, "a quarter")))
    amount = rng.choice(range(40, 2000, 4 * 10))
    text = f"Move {word} of the {amount} dollars in my {src} account to my {dst} account."
    return text, {"from_account": src, "to_account": dst, "amount": amount // share}


def _event(rng: random.Random) -> tuple[str, dict[str, Any]]:
    today = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
    ahead, title = rng.randint(2, 9), rng.choice(TITLES)
    hours, minutes = rng.randint(1, 2), rng.choice((15, 30, 45))
    text = (f"Today is {today.isoformat()}. Put \"{title}\" in my calendar {NUMBER_WORDS[ahead]} days from today, "
            f"lasting {_plural(hours, 'hour')} and {minutes} minutes.")
    return text, {"title": title, "date": (today + dt.timedelta(days=ahead)).isoformat(),
                  "duration_minutes": 60 * hours + minutes}


def _thermostat(rng: random.Random) -> tuple[str, dict[str, Any]]:
    room, now, delta = rng.choice(ROOMS), rng.randint(15, 22), rng.randint(2, 5)
    warmer = rng.random() < 0.5
    text = (f"The {room} is at {now} degrees Celsius; make it {delta} degrees "
            f"{'warmer' if warmer else 'cooler'}.")
    return text, {"room": room, "temperature": now + delta if warmer else now - delta}


def _order(rng: random.Random) -> tuple[str, dict[str, Any]]:
    item, dozens = rng.choice(ITEMS), rng.randint(2, 5)
    text = f"Order {NUMBER_WORDS[dozens]} dozen {item} from the corner shop."
    return text, {"item": item, "quantity": 12 * dozens}


MAKERS: dict[str, Callable[[random.Random], tuple[str, dict[str, Any]]]] = {
    "set_timer": _timer, "book_table": _table, "convert_currency": _currency, "get_forecast": _forecast,
    "transfer_money": _transfer, "create_event": _event, "set_thermostat": _thermostat, "order_items": _order,
}
assert set(MAKERS) == set(TOOLS)
