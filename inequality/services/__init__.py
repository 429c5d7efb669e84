"""Services: database + metrics -> plain results (dicts, DataFrames). No drawing, no templating."""
