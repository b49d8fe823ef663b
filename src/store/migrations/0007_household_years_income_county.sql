-- 0007: household_years_income, the classification's covering index of one
-- year's incomes, gains the county before the household:
-- (year, county_code, household_code, income_per_capita). The classification
-- reads a year's incomes in the households' county key order, (county_code,
-- household_code), to merge them with households_key and benefits_key with
-- no sort (src/domain/indicators.c); with the county in the index that is
-- one covering range per year (or per year and county range), where
-- household_years_key (county_code, household_code, year) would visit every
-- year of every household and look each row up.

DROP INDEX household_years_income;
CREATE INDEX household_years_income ON household_years(year, county_code, household_code, income_per_capita);
