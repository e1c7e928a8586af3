"""The monthly regional fraud-risk index: every city and county on one page, adjusted, ranked, coloured."""
