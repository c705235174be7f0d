"""The hostile corpus (issue 11): attack bundles made by a generator, the harness that reviews them, and the
hypothesis strategy that composes hostile page code."""
