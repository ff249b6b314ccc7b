"""Key performance indicators: defined once (`definitions`), computed by database aggregates in
the area modules, cached per filter combination (`cache`) and evaluated through `engine`."""
