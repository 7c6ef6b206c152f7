"""Tools that speak Flet's wire protocol, shared by the tests and the benchmark."""
