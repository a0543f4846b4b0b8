"""Front ends for other training frameworks; each imports its framework only when used."""
