"""District news: subscriptions per district and field of action, items written by managers
and coordinators, delivered through the outbox, and the sender's delivery report."""
