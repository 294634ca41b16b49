"""Book assembly: generates every page that restates data from claims, results and literature."""
