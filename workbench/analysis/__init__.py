"""Analysis layer: survival, rates, continuous outcomes and meta-analysis of one data set."""
