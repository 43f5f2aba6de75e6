"""Power layer: closed-form and simulated power, sample sizes, group-sequential trials, reports."""
