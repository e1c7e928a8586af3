"""The live loop: ``fraudkit watch`` ticks, ingests what arrived, scores the contacts that ended
and writes alerts to the operational store; a replay runs the same tick on a simulated clock."""
