"""Write ``portal/auth/data/breached-passwords.txt`` from zxcvbn's password list.

zxcvbn (MIT licence, the pinned PyPI package) ranks the 30 000 passwords seen most
often in breach dumps. Only those long enough to pass the length rule are kept: a
shorter one is refused anyway. Run with the project's virtualenv after upgrading
zxcvbn: ``.venv/bin/python scripts/breached_passwords.py``.
"""

from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal.auth.services import MIN_PASSWORD_LENGTH

TARGET = Path(__file__).parent.parent / "portal/auth/data/breached-passwords.txt"


def main() -> None:
    """Write the list, commonest first, one password a line."""
    kept = [p for p in FREQUENCY_LISTS["passwords"] if len(p) >= MIN_PASSWORD_LENGTH]
    TARGET.write_text("\n".join(kept) + "\n", encoding="utf-8")
    print(f"{len(kept)} passwords written to {TARGET}")


if __name__ == "__main__":
    main()
