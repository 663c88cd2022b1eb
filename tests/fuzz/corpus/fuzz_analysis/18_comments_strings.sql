SELECT * FROM spectrum_schema.sales /* year = 2024 */ WHERE note = 'year = 2024 -- ' -- year = 2023
AND $$x$$ = 'y' AND E'\'' = 'z'