"""Run every benchmark module (the lead wires new ones in here)."""

from bench import reminders

if __name__ == "__main__":
    reminders.main()
