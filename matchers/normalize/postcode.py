"""French postcodes: five digits, 01000 to 98999."""


def normalize_postcode(value: str) -> str | None:
    compact = value.strip()
    if len(compact) == 5 and compact.isdecimal() and "01000" <= compact <= "98999":
        return compact
    return None
