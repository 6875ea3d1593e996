"""The message layer: domain results turned into what a person reads (text and buttons as
plain data). It never imports `telegram`; handlers and the outbox sender turn its output into
Bot API calls. One module per feature; every button family comes from `callbacks`."""
