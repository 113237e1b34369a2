"""Helpers shared by the test suites of every app: the SMS inbox and the browser harness."""
