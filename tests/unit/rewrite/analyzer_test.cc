// Table-driven analysis tests: SQL in, facts out as one line (rewrite/facts_text.h):
//   "<Kind>: read <schema.table> [AS alias] [WHERE <bounds per column>]; write <table>"
// Each row reads on its own; rows are grouped by what they exercise.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/facts_text.h"
#include "test_catalog.h"

namespace blueshift::rewrite {
namespace {

using Row = testing::AnalysisRow;

std::string row_name(const ::testing::TestParamInfo<Row>& info) { return info.param.name; }

// ---- predicates and bounds (no catalog; search_path = public) -----------------------
const Row kBoundRows[] = {
    {"eq", "SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"and_in", "SELECT * FROM spectrum_schema.sales s WHERE s.year = 2024 AND s.month IN (1, 2)",
     "Select: read spectrum_schema.sales AS s WHERE month IN (1, 2) AND year = 2024"},
    {"constant_on_left", "SELECT * FROM spectrum_schema.sales WHERE 2024 = year",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"greater", "SELECT * FROM spectrum_schema.sales WHERE year > 2020",
     "Select: read spectrum_schema.sales WHERE year > 2020"},
    {"less_flipped", "SELECT * FROM spectrum_schema.sales WHERE 2020 < year",
     "Select: read spectrum_schema.sales WHERE year > 2020"},
    {"le_flipped", "SELECT * FROM spectrum_schema.sales WHERE 2020 >= year",
     "Select: read spectrum_schema.sales WHERE year <= 2020"},
    {"range", "SELECT * FROM spectrum_schema.sales WHERE year >= 2020 AND year <= 2022",
     "Select: read spectrum_schema.sales WHERE year >= 2020 AND year <= 2022"},
    {"between", "SELECT * FROM spectrum_schema.sales WHERE year BETWEEN 2020 AND 2022",
     "Select: read spectrum_schema.sales WHERE year BETWEEN 2020 AND 2022"},
    {"between_symmetric", "SELECT * FROM spectrum_schema.sales WHERE year BETWEEN SYMMETRIC 2022 AND 2020",
     "Select: read spectrum_schema.sales WHERE (year BETWEEN 2022 AND 2020 OR year BETWEEN 2020 AND 2022)"},
    {"not_between", "SELECT * FROM spectrum_schema.sales WHERE year NOT BETWEEN 2020 AND 2022",
     "Select: read spectrum_schema.sales"},
    {"in_single", "SELECT * FROM spectrum_schema.sales WHERE year IN (2024)",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"not_in", "SELECT * FROM spectrum_schema.sales WHERE year NOT IN (2023, 2024)", "Select: read spectrum_schema.sales"},
    {"any_array", "SELECT * FROM spectrum_schema.sales WHERE year = ANY(ARRAY[2023, 2024])",
     "Select: read spectrum_schema.sales WHERE year IN (2023, 2024)"},
    {"cast_constant", "SELECT * FROM spectrum_schema.sales WHERE year = '2024'::int",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"cast_function", "SELECT * FROM spectrum_schema.sales WHERE year = CAST(' 2024' AS integer)",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"string_constant", "SELECT * FROM spectrum_schema.sales WHERE month = '01'",
     "Select: read spectrum_schema.sales WHERE month = '01'"},
    {"date_literal", "SELECT * FROM spectrum_schema.sales WHERE sale_date >= DATE '2024-01-01'",
     "Select: read spectrum_schema.sales WHERE sale_date >= '2024-01-01'"},
    {"date_cast_drops_time", "SELECT * FROM spectrum_schema.sales WHERE sale_date = '2024-01-05 10:00'::date",
     "Select: read spectrum_schema.sales WHERE sale_date = '2024-01-05'"},
    {"date_cast_other_format_bounds_nothing", "SELECT * FROM spectrum_schema.sales WHERE sale_date = 'Jan 5 2024'::date",
     "Select: read spectrum_schema.sales"},
    {"negative", "SELECT * FROM spectrum_schema.sales WHERE amount > -1", "Select: read spectrum_schema.sales WHERE amount > -1"},
    {"negated_cast", "SELECT * FROM spectrum_schema.sales WHERE amount > -'5'::int",
     "Select: read spectrum_schema.sales WHERE amount > -5"},
    {"float", "SELECT * FROM spectrum_schema.sales WHERE amount >= 10.5",
     "Select: read spectrum_schema.sales WHERE amount >= 10.5"},
    {"param", "SELECT * FROM spectrum_schema.sales WHERE year = $1 AND month = $2::int",
     "Select: read spectrum_schema.sales WHERE month = $2 AND year = $1"},
    {"param_in_list", "SELECT * FROM spectrum_schema.sales WHERE month IN ($1, $2, 3)",
     "Select: read spectrum_schema.sales WHERE month IN ($1, $2, 3)"},
    {"is_null", "SELECT * FROM spectrum_schema.sales WHERE year IS NULL",
     "Select: read spectrum_schema.sales WHERE year IS NULL"},
    {"eq_null_is_false", "SELECT * FROM spectrum_schema.sales WHERE year = NULL",
     "Select: read spectrum_schema.sales WHERE FALSE"},
    {"is_not_null", "SELECT * FROM spectrum_schema.sales WHERE year IS NOT NULL", "Select: read spectrum_schema.sales"},
    {"or_both_branches", "SELECT * FROM spectrum_schema.sales WHERE year = 2023 OR year = 2024",
     "Select: read spectrum_schema.sales WHERE (year = 2023 OR year = 2024)"},
    // year is not bounded (one branch leaves it open); the OR itself is kept as a disjunction.
    {"or_branch_missing_column", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 OR amount > 100",
     "Select: read spectrum_schema.sales WHERE (year = 2024 OR amount > 100)"},
    {"or_of_ands", "SELECT * FROM spectrum_schema.sales WHERE (year = 2024 AND month = 1) OR (year = 2023 AND month = 12)",
     "Select: read spectrum_schema.sales WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((month "
     "= 1 AND year = 2024) OR (month = 12 AND year = 2023))"},
    {"and_with_partial_or", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND (month = 1 OR amount > 5)",
     "Select: read spectrum_schema.sales WHERE year = 2024 AND (month = 1 OR amount > 5)"},
    {"precedence_and_binds_tighter", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND month = 1 OR year = 2023",
     "Select: read spectrum_schema.sales WHERE (year = 2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR year = "
     "2023)"},
    {"not", "SELECT * FROM spectrum_schema.sales WHERE NOT (year = 2024)", "Select: read spectrum_schema.sales"},
    {"not_inside_and", "SELECT * FROM spectrum_schema.sales WHERE month = 2 AND NOT year = 2024",
     "Select: read spectrum_schema.sales WHERE month = 2"},
    {"expression_of_column", "SELECT * FROM spectrum_schema.sales WHERE year + 0 = 2024", "Select: read spectrum_schema.sales"},
    {"function_of_column", "SELECT * FROM spectrum_schema.sales WHERE abs(year) = 2024", "Select: read spectrum_schema.sales"},
    {"cast_of_column", "SELECT * FROM spectrum_schema.sales WHERE year::text = '2024'", "Select: read spectrum_schema.sales"},
    {"coalesce_of_column", "SELECT * FROM spectrum_schema.sales WHERE COALESCE(year, 0) = 2024",
     "Select: read spectrum_schema.sales"},
    {"tautology_constant", "SELECT * FROM spectrum_schema.sales WHERE 1 = 1", "Select: read spectrum_schema.sales"},
    {"tautology_column", "SELECT * FROM spectrum_schema.sales WHERE year = year", "Select: read spectrum_schema.sales"},
    {"column_vs_column", "SELECT * FROM spectrum_schema.sales WHERE year = month", "Select: read spectrum_schema.sales"},
    {"like", "SELECT * FROM spectrum_schema.sales WHERE month LIKE '0%'", "Select: read spectrum_schema.sales"},
    {"not_equal", "SELECT * FROM spectrum_schema.sales WHERE year <> 2024", "Select: read spectrum_schema.sales"},
    {"not_distinct", "SELECT * FROM spectrum_schema.sales WHERE year IS NOT DISTINCT FROM 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"in_with_null", "SELECT * FROM spectrum_schema.sales WHERE year IN (2024, NULL)",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"predicate_in_block_comment", "SELECT * FROM spectrum_schema.sales /* WHERE year = 2024 */",
     "Select: read spectrum_schema.sales"},
    {"predicate_in_line_comment", "SELECT * FROM spectrum_schema.sales -- WHERE year = 2024\nWHERE amount > 1",
     "Select: read spectrum_schema.sales WHERE amount > 1"},
    {"predicate_in_string", "SELECT * FROM spectrum_schema.sales WHERE sale_id = 'x'' OR year = 2024 --'",
     "Select: read spectrum_schema.sales WHERE sale_id = 'x'' OR year = 2024 --'"},
    {"row_equality", "SELECT * FROM spectrum_schema.sales WHERE (year, month) = (2024, 1)",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"row_equality_with_expression", "SELECT * FROM spectrum_schema.sales WHERE (year, month + 0) = (2024, 1)",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"contradiction_kept", "SELECT * FROM spectrum_schema.sales WHERE year = 2024 AND year = 2023",
     "Select: read spectrum_schema.sales WHERE year = 2024 AND year = 2023"},
    {"boolean_column", "SELECT * FROM spectrum_schema.sales WHERE is_refund", "Select: read spectrum_schema.sales"},
    {"having_bounds_nothing", "SELECT year, count(*) FROM spectrum_schema.sales GROUP BY year HAVING year = 2024",
     "Select: read spectrum_schema.sales"},
    {"exists_in_where_keeps_outer_bound",
     "SELECT * FROM spectrum_schema.sales s WHERE s.year = 2024 AND EXISTS (SELECT 1 FROM public.customers c WHERE "
     "c.id = s.customer_id AND c.region = 'EU')",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read public.customers AS c WHERE region = 'EU'"},
    {"in_subquery_bounds_nothing",
     "SELECT * FROM spectrum_schema.sales WHERE year IN (SELECT max(signup_year) FROM public.customers)",
     "Select: read spectrum_schema.sales; read public.customers"},
    {"correlated_predicate_not_pushed_out",
     "SELECT * FROM spectrum_schema.sales s WHERE EXISTS (SELECT 1 FROM public.customers c WHERE s.year = 2024)",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
};

// ---- col = ANY(array): a finite set, as col IN (...) ---------------------------------
#define SALES "SELECT * FROM spectrum_schema.sales WHERE "
#define READ "Select: read spectrum_schema.sales"
const Row kAnyRows[] = {
    {"array_constructor", SALES "year = ANY(ARRAY[2023, 2024])", READ " WHERE year IN (2023, 2024)"},
    {"some_is_any", SALES "year = SOME(ARRAY[2023, 2024])", READ " WHERE year IN (2023, 2024)"},
    {"array_constructor_one_element", SALES "year = ANY(ARRAY[2024])", READ " WHERE year = 2024"},
    {"array_constructor_cast", SALES "year = ANY(ARRAY['2023', '2024']::int[])", READ " WHERE year IN (2023, 2024)"},
    {"array_constructor_with_null", SALES "year = ANY(ARRAY[2024, NULL])", READ " WHERE year = 2024"},
    {"array_constructor_of_params", SALES "year = ANY(ARRAY[$1, $2])", READ " WHERE year IN ($1, $2)"},
    {"array_constructor_with_expression", SALES "year = ANY(ARRAY[2023, 2020 + 4])", READ},
    {"literal_untyped", SALES "year = ANY('{2023,2024}')", READ " WHERE year IN ('2023', '2024')"},
    {"literal_cast", SALES "year = ANY('{2023, 2024}'::int[])", READ " WHERE year IN (2023, 2024)"},
    {"literal_cast_function", SALES "year = ANY(CAST('{ 2023 ,2024 }' AS integer[]))", READ " WHERE year IN (2023, 2024)"},
    {"literal_bigint_array_type", SALES "year = ANY('{2023}'::bigint[])", READ " WHERE year = 2023"},
    {"literal_quoted_and_null", SALES "month = ANY('{\"01\", NULL, 02}'::text[])", READ " WHERE month IN ('01', '02')"},
    {"literal_quoted_null_is_a_string", SALES "region = ANY('{\"NULL\"}')", READ " WHERE region = 'NULL'"},
    {"literal_escapes", SALES "region = ANY('{\"a\\\"b\", c\\,d, \" e \"}')", READ " WHERE region IN ('a\"b', 'c,d', ' e ')"},
    {"literal_two_dimensions_flatten", SALES "year = ANY('{{2023,2024},{2021,2022}}'::int[])",
     READ " WHERE year IN (2023, 2024, 2021, 2022)"},
    {"literal_with_dimension_decoration", SALES "year = ANY('[1:2]={2023,2024}'::int[])", READ " WHERE year IN (2023, 2024)"},
    {"literal_dates", SALES "sale_date = ANY('{2024-01-01, 2024-01-02}'::date[])",
     READ " WHERE sale_date IN ('2024-01-01', '2024-01-02')"},
    {"literal_dates_other_format_bound_nothing", SALES "sale_date = ANY('{Jan 5 2024}'::date[])", READ},
    {"literal_empty_matches_nothing", SALES "year = ANY('{}'::int[])", READ " WHERE FALSE"},
    {"literal_only_nulls_matches_nothing", SALES "year = ANY('{NULL}'::int[])", READ " WHERE FALSE"},
    {"null_array_matches_nothing", SALES "year = ANY(NULL::int[])", READ " WHERE FALSE"},
    {"literal_malformed_bounds_nothing", SALES "year = ANY('{2023,,2024}'::int[])", READ},
    {"literal_unclosed_bounds_nothing", SALES "year = ANY('{2023,2024'::int[])", READ},
    {"literal_not_an_array_bounds_nothing", SALES "year = ANY('2023'::int[])", READ},
    {"cast_to_scalar_type_bounds_nothing", SALES "year = ANY('{2023}'::int)", READ},
    {"param", SALES "year = ANY($1)", READ " WHERE year = ANY($1)"},
    {"param_cast", SALES "year = ANY($1::int[]) AND month = ANY(CAST($2 AS text[]))",
     READ " WHERE month = ANY($2) AND year = ANY($1)"},
    {"param_in_or", SALES "year = ANY($1) OR year = 2020", READ " WHERE (year = ANY($1) OR year = 2020)"},
    {"any_of_a_column_bounds_nothing", SALES "year = ANY(other_years)", READ},
    {"any_of_a_function_bounds_nothing", SALES "year = ANY(string_to_array('2023,2024', ',')::int[])", READ},
    {"any_of_a_subquery_bounds_nothing", SALES "year = ANY(SELECT signup_year FROM public.customers)",
     READ "; read public.customers"},
    {"not_equal_any_bounds_nothing", SALES "year <> ANY(ARRAY[2023, 2024])", READ},
    {"bang_equal_any_bounds_nothing", SALES "year != ANY('{2023}'::int[])", READ},
    {"not_equal_all_bounds_nothing", SALES "year <> ALL(ARRAY[2023, 2024])", READ},
    {"not_any_bounds_nothing", SALES "NOT (year = ANY(ARRAY[2023, 2024]))", READ},
    {"param_not_equal_all_bounds_nothing", SALES "year <> ALL($1)", READ},
    {"and_with_in", SALES "year = ANY('{2023,2024}'::int[]) AND month IN (1, 2)", READ " WHERE month IN (1, 2) AND year IN (2023, 2024)"},
};

// ---- col < ANY(array), col >= ALL(array), ...: the element that decides -------------
// < ANY and > ALL hold by the greatest element, > ANY and < ALL by the least (<=, >= the
// same); = ALL holds for the one value all elements equal. SQL's empty and NULL cases.
const Row kQuantifiedRows[] = {
    {"less_any_is_below_the_greatest", SALES "year < ANY(ARRAY[2023, 2024])", READ " WHERE year < 2024"},
    {"le_any_literal_cast", SALES "year <= ANY('{2024,2023}'::int[])", READ " WHERE year <= 2024"},
    {"greater_any_is_above_the_least", SALES "year > ANY(ARRAY[2024, 2023])", READ " WHERE year > 2023"},
    {"ge_some_one_element", SALES "year >= SOME(ARRAY[2024])", READ " WHERE year >= 2024"},
    {"less_all_is_below_the_least", SALES "month < ALL('{3,5}')", READ " WHERE month < '3'"},
    {"le_all", SALES "month <= ALL(ARRAY[5, 3])", READ " WHERE month <= 3"},
    {"greater_all_is_above_the_greatest", SALES "month > ALL(ARRAY[3, 5])", READ " WHERE month > 5"},
    {"ge_all", SALES "month >= ALL(ARRAY[3, 5])", READ " WHERE month >= 5"},
    {"numbers_compare_as_numbers", SALES "year > ALL(ARRAY[2023.5, 02024, 2000])", READ " WHERE year > 2024"},
    {"negative_numbers_in_byte_order_too", SALES "year < ALL(ARRAY[-1, -10])", READ " WHERE year < -10 AND year < -1"},
    {"longer_numbers_in_byte_order_too", SALES "year > ALL(ARRAY[2023.5, 2024, 999])",
     READ " WHERE year > 2024 AND year > 999"},
    {"dates_compare_as_dates", SALES "sale_date >= ANY('{2024-01-05, 2024-01-03}'::date[])",
     READ " WHERE sale_date >= '2024-01-03'"},
    {"text_compares_as_text", SALES "region < ALL('{b, ab}')", READ " WHERE region < 'ab'"},
    // "9" is the greatest in byte order, which a partition value that is not a number
    // ("5x") compares in: both are kept, so a match is exactly `< 9 OR < 10`.
    {"byte_order_and_number_order_differ", SALES "month < ANY(ARRAY[9, 10])", READ " WHERE (month < 10 OR month < 9)"},
    {"byte_order_and_number_order_differ_all", SALES "month >= ALL(ARRAY[9, 10])", READ " WHERE month >= 10 AND month >= 9"},
    {"numbers_and_text_mixed_keep_every_element", SALES "region < ANY('{10, b}')",
     READ " WHERE (region < '10' OR region < 'b')"},
    {"equal_all_one_value", SALES "year = ALL(ARRAY[2024, 2024.0])", READ " WHERE year = 2024"},
    {"equal_all_one_element", SALES "year = ALL('{2024}'::int[])", READ " WHERE year = 2024"},
    {"equal_all_different_values_is_a_contradiction", SALES "year = ALL(ARRAY[2023, 2024])", READ " WHERE FALSE"},
    {"any_of_empty_is_false", SALES "year < ANY('{}'::int[])", READ " WHERE FALSE"},
    {"all_of_empty_is_true", SALES "year < ALL('{}'::int[])", READ},
    {"equal_all_of_empty_is_true", SALES "year = ALL('{}'::int[])", READ},
    {"any_null_element_satisfies_nothing", SALES "year < ANY(ARRAY[2024, NULL])", READ " WHERE year < 2024"},
    {"any_only_null", SALES "year > ANY(ARRAY[NULL::int])", READ " WHERE FALSE"},
    {"any_null_array", SALES "year >= ANY(NULL::int[])", READ " WHERE FALSE"},
    {"all_null_element_is_never_true", SALES "year < ALL(ARRAY[2024, NULL])", READ " WHERE FALSE"},
    {"all_null_in_literal_is_never_true", SALES "month > ALL('{1,NULL}'::int[])", READ " WHERE FALSE"},
    {"all_null_array_is_never_true", SALES "year > ALL(NULL::int[])", READ " WHERE FALSE"},
    {"param_elements_each", SALES "year < ANY(ARRAY[$1, $2])", READ " WHERE (year < $1 OR year < $2)"},
    {"param_elements_all_each", SALES "year >= ALL(ARRAY[$1, 2020])", READ " WHERE year >= $1 AND year >= 2020"},
    {"param_any", SALES "year < ANY($1)", READ " WHERE year < ANY($1)"},
    {"param_all_cast", SALES "year >= ALL($1::int[])", READ " WHERE year >= ALL($1)"},
    {"param_equal_all", SALES "year = ALL($1)", READ " WHERE year = ALL($1)"},
    {"range_of_any_and_all", SALES "year >= ANY(ARRAY[2023]) AND year <= ALL(ARRAY[2025, 2024])",
     READ " WHERE year >= 2023 AND year <= 2024"},
    {"with_or", SALES "(year < ANY(ARRAY[2020]) OR year = 2024) AND month > ALL('{6}')",
     READ " WHERE month > '6' AND (year < 2020 OR year = 2024)"},
    {"or_branch_of_empty_all_bounds_nothing", SALES "year > ALL('{}'::int[]) OR year = 2024", READ},
    {"pairs", SALES "(year = ALL(ARRAY[2024]) AND month < ANY(ARRAY[3])) OR (year = 2023 AND month >= ALL(ARRAY[12]))",
     READ " WHERE (month < 3 OR month >= 12) AND (year = 2024 OR year = 2023) AND ((month < 3 AND year = 2024) OR "
          "(month >= 12 AND year = 2023))"},
    {"flipped_operands_bound_nothing", SALES "2024 < ANY(ARRAY[year])", READ},
    {"not_bounds_nothing", SALES "NOT (year < ALL(ARRAY[2024]))", READ},
    {"like_any_bounds_nothing", SALES "region LIKE ANY(ARRAY['a%'])", READ},
    {"of_a_column_bounds_nothing", SALES "year < ALL(other_years)", READ},
};

// ---- ORs of conjunctions: kept as disjunctions where per-column bounds lose pairs ----
const Row kDisjunctionRows[] = {
    {"pairs", SALES "(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)",
     READ " WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR "
          "(month = 12 AND year = 2023))"},
    {"three_columns", SALES "(year = 2024 AND month = 1 AND day = 5) OR (year = 2023 AND month = 12 AND day = 31)",
     READ " WHERE (day = 5 OR day = 31) AND (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((day = 5 "
          "AND month = 1 AND year = 2024) OR (day = 31 AND month = 12 AND year = 2023))"},
    {"row_equalities", SALES "(year, month) = (2024, 1) OR (year, month) = (2023, 12)",
     READ " WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR "
          "(month = 12 AND year = 2023))"},
    {"row_in_list", SALES "(year, month) IN ((2024, 1), (2023, 12))",
     READ " WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR "
          "(month = 12 AND year = 2023))"},
    {"row_in_list_with_an_expression", SALES "(year, month + 0) IN ((2024, 1), (2023, 12))",
     READ " WHERE (year = 2024 OR year = 2023)"},
    {"row_in_list_of_one", SALES "(year, month) IN ((2024, 1))", READ " WHERE month = 1 AND year = 2024"},
    {"row_not_in_bounds_nothing", SALES "(year, month) NOT IN ((2024, 1), (2023, 12))", READ},
    {"row_in_subquery_bounds_nothing", SALES "(year, month) IN (SELECT 2024, 1)", READ},
    {"and_of_ors_distributes", SALES "(year = 2024 OR month = 1) AND (year = 2023 OR month = 2)",
     READ " WHERE ((year = 2024 AND year = 2023) OR (month = 2 AND year = 2024) OR (month = 1 AND year = 2023) OR "
          "(month = 1 AND month = 2))"},
    {"common_column_factored_out", SALES "(year = 2024 AND month = 1) OR (year = 2024 AND month = 2)",
     READ " WHERE (month = 1 OR month = 2) AND (year = 2024 OR year = 2024)"},
    {"one_column_varies_after_factoring", SALES "year = 2024 AND (month = 1 OR month = 2) AND amount > 5",
     READ " WHERE amount > 5 AND (month = 1 OR month = 2) AND year = 2024"},
    {"full_product_is_per_column", SALES "(year = 2023 OR year = 2024) AND (month = 1 OR month = 2)",
     READ " WHERE (month = 1 OR month = 2) AND (year = 2023 OR year = 2024)"},
    {"partial_product_is_kept", SALES "(year = 2023 AND month = 1) OR (year = 2023 AND month = 2) OR (year = 2024 AND month = 1)",
     READ " WHERE (month = 1 OR month = 2 OR month = 1) AND (year = 2023 OR year = 2023 OR year = 2024) AND ((month = "
          "1 AND year = 2023) OR (month = 2 AND year = 2023) OR (month = 1 AND year = 2024))"},
    {"branch_restricting_nothing_drops_the_or", SALES "(year = 2024 AND month = 1) OR NOT (year = 2023)", READ},
    {"branch_on_another_table_drops_it_for_this_scan",
     "SELECT * FROM spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id WHERE (s.year = 2024 AND "
     "s.month = 1) OR (c.region = 'EU' AND c.signup_year = 2020)",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
    {"pairs_across_tables_project_per_scan",
     "SELECT * FROM spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id WHERE (s.year = 2024 AND "
     "s.month = 1 AND c.region = 'EU') OR (s.year = 2023 AND s.month = 12 AND c.region = 'US')",
     "Select: read spectrum_schema.sales AS s WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND "
     "((month = 1 AND year = 2024) OR (month = 12 AND year = 2023)); read public.customers AS c WHERE (region = 'EU' OR "
     "region = 'US')"},
    {"in_subquery_pushed_down", "SELECT * FROM (SELECT * FROM spectrum_schema.sales) t WHERE (t.year = 2024 AND "
     "t.month = 1) OR (t.year = 2023 AND t.month = 12)",
     READ " WHERE (month = 1 OR month = 12) AND (year = 2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR "
          "(month = 12 AND year = 2023))"},
    {"two_contexts_each_keep_theirs",
     "SELECT * FROM spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id AND ((s.year = 2024 AND "
     "s.month = 1) OR (s.year = 2023 AND s.month = 2)) WHERE (s.year = 2024 AND s.month = 3) OR (s.year = 2022 AND "
     "s.month = 1)",
     "Select: read spectrum_schema.sales AS s WHERE (month = 1 OR month = 2) AND (month = 3 OR month = 1) AND (year = "
     "2024 OR year = 2023) AND (year = 2024 OR year = 2022) AND ((month = 1 AND year = 2024) OR (month = 2 AND year = "
     "2023)) AND ((month = 3 AND year = 2024) OR (month = 1 AND year = 2022)); read public.customers AS c"},
    {"left_join_nullable_side_without_strict_conjunct",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id WHERE (s.year = 2024 "
     "AND s.month = 1) OR (s.year IS NULL AND c.region = 'EU')",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s"},
    {"left_join_on_restricts_right_side",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id AND ((s.year = 2024 "
     "AND s.month = 1) OR (s.year = 2023 AND s.month = 12))",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s WHERE (month = 1 OR month = 12) AND (year = "
     "2024 OR year = 2023) AND ((month = 1 AND year = 2024) OR (month = 12 AND year = 2023))"},
    {"with_any", SALES "(year = 2024 AND month = ANY('{1,2}'::int[])) OR (year = 2023 AND month = ANY($1))",
     READ " WHERE (month IN (1, 2) OR month = ANY($1)) AND (year = 2024 OR year = 2023) AND ((month IN (1, 2) AND "
          "year = 2024) OR (month = ANY($1) AND year = 2023))"},
};
#undef SALES
#undef READ

// ---- scopes: aliases, joins, subqueries, CTEs, set operations -----------------------
const Row kScopeRows[] = {
    {"join_same_column_names_qualified",
     "SELECT * FROM spectrum_schema.sales s JOIN marketing.campaigns c ON s.customer_id = c.id WHERE s.year = 2024 AND "
     "c.year = 2020",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read marketing.campaigns AS c WHERE year = 2020"},
    {"join_unqualified_is_ambiguous",
     "SELECT * FROM spectrum_schema.sales s JOIN marketing.campaigns c ON s.customer_id = c.id WHERE year = 2024",
     "Select: read spectrum_schema.sales AS s; read marketing.campaigns AS c"},
    {"join_on_condition_inner",
     "SELECT * FROM spectrum_schema.sales s JOIN public.customers c ON s.customer_id = c.id AND s.year = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read public.customers AS c"},
    {"comma_join_where",
     "SELECT * FROM spectrum_schema.sales s, public.customers c WHERE s.customer_id = c.id AND s.month = 3",
     "Select: read spectrum_schema.sales AS s WHERE month = 3; read public.customers AS c"},
    {"left_join_on_restricts_right",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id AND s.year = 2024",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s WHERE year = 2024"},
    {"left_join_on_does_not_restrict_left",
     "SELECT * FROM spectrum_schema.sales s LEFT JOIN public.customers c ON s.customer_id = c.id AND s.year = 2024",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
    {"left_join_where_strict_on_right",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id WHERE s.year = 2024",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s WHERE year = 2024"},
    {"left_join_where_or_is_null_on_right",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id WHERE s.year = 2024 OR "
     "s.year IS NULL",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s"},
    {"left_join_where_is_null_with_strict_conjunct",
     "SELECT * FROM public.customers c LEFT JOIN spectrum_schema.sales s ON s.customer_id = c.id WHERE s.month = 1 AND "
     "(s.year = 2024 OR s.year IS NULL)",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s WHERE month = 1 AND (year = 2024 OR year IS "
     "NULL)"},
    {"right_join_on_restricts_left",
     "SELECT * FROM spectrum_schema.sales s RIGHT JOIN public.customers c ON s.customer_id = c.id AND s.year = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read public.customers AS c"},
    {"full_join_on_restricts_nothing",
     "SELECT * FROM spectrum_schema.sales s FULL JOIN public.customers c ON s.customer_id = c.id AND s.year = 2024",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
    {"join_using_inner_restricts_both",
     "SELECT * FROM spectrum_schema.sales a JOIN marketing.campaigns b USING (year) WHERE year = 2024",
     "Select: read spectrum_schema.sales AS a WHERE year = 2024; read marketing.campaigns AS b WHERE year = 2024"},
    {"join_using_left_restricts_left",
     "SELECT * FROM spectrum_schema.sales a LEFT JOIN marketing.campaigns b USING (year) WHERE year = 2024",
     "Select: read spectrum_schema.sales AS a WHERE year = 2024; read marketing.campaigns AS b"},
    {"self_join", "SELECT * FROM spectrum_schema.sales a JOIN spectrum_schema.sales b ON a.sale_id = b.sale_id WHERE a.year = 2024",
     "Select: read spectrum_schema.sales AS a WHERE year = 2024; read spectrum_schema.sales AS b"},
    {"three_part_column", "SELECT * FROM spectrum_schema.sales WHERE spectrum_schema.sales.year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"table_name_as_qualifier", "SELECT * FROM spectrum_schema.sales WHERE sales.year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"alias_hides_table_name", "SELECT * FROM spectrum_schema.sales s WHERE sales.year = 2024",
     "Select: read spectrum_schema.sales AS s"},
    {"subquery_pushdown", "SELECT * FROM (SELECT * FROM spectrum_schema.sales) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"subquery_pushdown_renamed", "SELECT * FROM (SELECT year AS y, amount FROM spectrum_schema.sales) t WHERE t.y = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"subquery_alias_column_list", "SELECT * FROM (SELECT year, amount FROM spectrum_schema.sales) t(yy, aa) WHERE yy = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"subquery_inner_and_outer",
     "SELECT * FROM (SELECT * FROM spectrum_schema.sales WHERE month = 1) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"subquery_with_limit_no_pushdown",
     "SELECT * FROM (SELECT * FROM spectrum_schema.sales LIMIT 10) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_with_window_no_pushdown",
     "SELECT * FROM (SELECT year, row_number() OVER (ORDER BY amount) AS rn FROM spectrum_schema.sales) t WHERE t.year = "
     "2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_grouped_by_column", "SELECT * FROM (SELECT year, sum(amount) AS total FROM spectrum_schema.sales GROUP BY "
     "year) t WHERE t.year = 2024 AND t.total > 10",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"subquery_grouped_by_position", "SELECT * FROM (SELECT month, year, count(*) AS n FROM spectrum_schema.sales GROUP BY "
     "1, 2) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"subquery_expression_output", "SELECT * FROM (SELECT year + 1 AS year FROM spectrum_schema.sales) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_distinct_on_no_pushdown",
     "SELECT * FROM (SELECT DISTINCT ON (customer_id) * FROM spectrum_schema.sales) t WHERE t.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_rollup_no_pushdown",
     "SELECT * FROM (SELECT year, sum(amount) AS t FROM spectrum_schema.sales GROUP BY ROLLUP (year)) x WHERE x.year = "
     "2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_grouped_output_not_grouped",
     "SELECT * FROM (SELECT month, max(year) AS year FROM spectrum_schema.sales GROUP BY month) x WHERE x.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"subquery_distinct_pushdown", "SELECT * FROM (SELECT DISTINCT year FROM spectrum_schema.sales) t WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"tableau_custom_sql",
     "SELECT SUM(\"Custom SQL Query\".\"amount\") AS \"sum:amount:ok\" FROM (select * from spectrum_schema.sales) "
     "\"Custom SQL Query\" WHERE ((\"Custom SQL Query\".\"year\" = 2024) AND (\"Custom SQL Query\".\"month\" >= 1) AND "
     "(\"Custom SQL Query\".\"month\" <= 3))",
     "Select: read spectrum_schema.sales WHERE month >= 1 AND month <= 3 AND year = 2024"},
    {"cte_named_like_table", "WITH sales AS (SELECT * FROM public.sales_fact) SELECT * FROM sales WHERE sale_id = 7",
     "Select: read public.sales_fact WHERE sale_id = 7"},
    {"cte_shadowing_governed_name_qualified_still_table",
     "WITH sales AS (SELECT 1 AS year) SELECT * FROM spectrum_schema.sales, sales WHERE sales.year = 2024",
     "Select: read spectrum_schema.sales"},
    {"cte_pushdown", "WITH s AS (SELECT * FROM spectrum_schema.sales) SELECT * FROM s WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"cte_referenced_twice_no_pushdown",
     "WITH s AS (SELECT * FROM spectrum_schema.sales) SELECT * FROM s a JOIN s b ON a.sale_id = b.sale_id WHERE a.year = "
     "2024",
     "Select: read spectrum_schema.sales"},
    {"cte_chain",
     "WITH a AS (SELECT * FROM spectrum_schema.sales WHERE month = 1), b AS (SELECT * FROM a) SELECT * FROM b WHERE year "
     "= 2024",
     "Select: read spectrum_schema.sales WHERE month = 1 AND year = 2024"},
    {"recursive_cte",
     "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r JOIN "
     "spectrum_schema.sales s ON s.month = r.n WHERE s.year = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024"},
    {"cte_unused_still_read", "WITH unused AS (SELECT * FROM spectrum_schema.sales) SELECT 1",
     "Select: read spectrum_schema.sales"},
    {"union_branches",
     "SELECT year FROM spectrum_schema.sales WHERE year = 2024 UNION ALL SELECT year FROM spectrum_schema.sales WHERE year "
     "= 2023",
     "Select: read spectrum_schema.sales WHERE year = 2024; read spectrum_schema.sales WHERE year = 2023"},
    {"union_in_subquery_pushdown",
     "SELECT * FROM (SELECT year, amount FROM spectrum_schema.sales UNION ALL SELECT year, amount FROM marketing.campaigns) "
     "u WHERE u.year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024; read marketing.campaigns WHERE year = 2024"},
    {"union_by_position",
     "SELECT * FROM (SELECT year AS y FROM spectrum_schema.sales UNION SELECT signup_year FROM public.customers) u WHERE "
     "u.y = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024; read public.customers WHERE signup_year = 2024"},
    {"except_branches", "SELECT year FROM spectrum_schema.sales EXCEPT SELECT year FROM marketing.campaigns WHERE year = 1",
     "Select: read spectrum_schema.sales; read marketing.campaigns WHERE year = 1"},
    {"scalar_subquery_in_select",
     "SELECT (SELECT count(*) FROM public.customers c WHERE c.region = 'EU'), amount FROM spectrum_schema.sales WHERE "
     "year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024; read public.customers AS c WHERE region = 'EU'"},
    {"lateral_subquery",
     "SELECT * FROM public.customers c, LATERAL (SELECT * FROM spectrum_schema.sales s WHERE s.customer_id = c.id AND "
     "s.year = 2024) x",
     "Select: read public.customers AS c; read spectrum_schema.sales AS s WHERE year = 2024"},
    {"function_in_from", "SELECT * FROM generate_series(1, 3) g, spectrum_schema.sales s WHERE s.month = g",
     "Select: read spectrum_schema.sales AS s"},
    {"values_in_from", "SELECT * FROM (VALUES (1), (2)) v(m) JOIN spectrum_schema.sales s ON s.month = v.m",
     "Select: read spectrum_schema.sales AS s"},
    {"no_from", "SELECT 1 + 1", "Select"},
    {"nested_subquery_where",
     "SELECT * FROM (SELECT * FROM (SELECT * FROM spectrum_schema.sales) a WHERE a.month = 2) b WHERE b.year = 2024",
     "Select: read spectrum_schema.sales WHERE month = 2 AND year = 2024"},
    {"join_subquery_and_table_unqualified_owner_by_outputs",
     "SELECT * FROM spectrum_schema.sales s JOIN (SELECT id, region FROM public.customers) c ON c.id = s.customer_id "
     "WHERE year = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read public.customers"},
    {"order_by_output_alias", "SELECT year AS y FROM spectrum_schema.sales WHERE year = 2024 ORDER BY y",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
};

// ---- names and search_path -------------------------------------------------------
const Row kNameRows[] = {
    {"quoted_mixed_case_folds", "SELECT * FROM \"Spectrum_Schema\".\"Sales\" WHERE \"Year\" = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"unquoted_upper_case_folds", "SELECT * FROM SPECTRUM_SCHEMA.SALES S WHERE S.YEAR = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024"},
    {"unqualified_first_search_path_schema", "SELECT * FROM sales WHERE year = 2024",
     "Select: read public.sales WHERE year = 2024"},
    {"set_search_path_then_query", "SET search_path TO spectrum_schema, public; SELECT * FROM sales WHERE year = 2024",
     "Set: search_path=spectrum_schema,public | Select: read spectrum_schema.sales WHERE year = 2024"},
    {"set_search_path_quoted_folds", "SET search_path = \"Spectrum_Schema\", '$user'",
     "Set: search_path=spectrum_schema,$user"},
    {"set_search_path_default", "SET search_path TO DEFAULT", "Set: search_path=$user,public"},
    {"reset_search_path", "RESET search_path", "Set: search_path=$user,public"},
    {"set_other_variable", "SET statement_timeout = 1000", "Set"},
    {"system_table", "SELECT relname FROM pg_class", "Select: read pg_catalog.pg_class"},
    {"redshift_system_view", "SELECT * FROM svv_external_tables", "Select: read pg_catalog.svv_external_tables"},
    {"information_schema", "SELECT * FROM information_schema.tables", "Select: read information_schema.tables"},
    {"database_qualified", "SELECT * FROM dev.spectrum_schema.sales WHERE year = 1",
     "Select: read spectrum_schema.sales WHERE year = 1"},
};

// ---- statement kinds -----------------------------------------------------------
const Row kKindRows[] = {
    {"insert_select", "INSERT INTO public.sales_fact SELECT sale_id, customer_id, amount, sale_date FROM "
     "spectrum_schema.sales WHERE year = 2024",
     "Insert: read spectrum_schema.sales WHERE year = 2024; write public.sales_fact"},
    {"insert_values", "INSERT INTO public.sales_fact (sale_id) VALUES (1), ($1)", "Insert: write public.sales_fact"},
    {"insert_with_cte", "WITH x AS (SELECT * FROM spectrum_schema.sales WHERE year = 2024) INSERT INTO t SELECT * FROM x",
     "Insert: read spectrum_schema.sales WHERE year = 2024; write public.t"},
    {"update_where", "UPDATE public.sales_fact SET amount = 0 WHERE sale_id = 5",
     "Update: read public.sales_fact WHERE sale_id = 5; write public.sales_fact"},
    {"update_from", "UPDATE public.sales_fact f SET amount = s.amount FROM spectrum_schema.sales s WHERE f.sale_id = "
     "s.sale_id AND s.year = 2024",
     "Update: read public.sales_fact AS f; read spectrum_schema.sales AS s WHERE year = 2024; write public.sales_fact"},
    {"delete_using", "DELETE FROM public.sales_fact f USING spectrum_schema.sales s WHERE f.sale_id = s.sale_id AND s.month = 1",
     "Delete: read public.sales_fact AS f; read spectrum_schema.sales AS s WHERE month = 1; write public.sales_fact"},
    {"delete_all", "DELETE FROM public.sales_fact", "Delete: read public.sales_fact; write public.sales_fact"},
    {"merge",
     "MERGE INTO public.sales_fact t USING spectrum_schema.sales s ON t.sale_id = s.sale_id AND t.sale_date > "
     "'2024-01-01' WHEN MATCHED THEN UPDATE SET amount = s.amount WHEN NOT MATCHED THEN INSERT (sale_id) VALUES "
     "(s.sale_id)",
     "Merge: read public.sales_fact AS t WHERE sale_date > '2024-01-01'; read spectrum_schema.sales AS s; write "
     "public.sales_fact"},
    {"create_table_as", "CREATE TABLE public.s2024 AS SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "CreateTableAs: read spectrum_schema.sales WHERE year = 2024; write public.s2024"},
    {"create_temp_table_as", "CREATE TEMP TABLE s AS SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "CreateTableAs: read spectrum_schema.sales WHERE year = 2024; write pg_temp.s"},
    {"select_into", "SELECT * INTO public.s2024 FROM spectrum_schema.sales WHERE year = 2024",
     "CreateTableAs: read spectrum_schema.sales WHERE year = 2024; write public.s2024"},
    {"create_table", "CREATE TABLE public.t (a int, b text)", "CreateTable: write public.t"},
    {"create_view", "CREATE VIEW public.v AS SELECT * FROM spectrum_schema.sales WHERE year = 2024",
     "OtherDdl: read spectrum_schema.sales WHERE year = 2024; write public.v"},
    {"create_materialized_view", "CREATE MATERIALIZED VIEW mv AS SELECT * FROM spectrum_schema.sales",
     "CreateTableAs: read spectrum_schema.sales; write public.mv"},
    {"explain", "EXPLAIN SELECT * FROM spectrum_schema.sales WHERE year BETWEEN 2020 AND 2022",
     "Explain: read spectrum_schema.sales WHERE year BETWEEN 2020 AND 2022"},
    {"explain_insert_no_write", "EXPLAIN INSERT INTO public.t SELECT * FROM spectrum_schema.sales",
     "Explain: read spectrum_schema.sales"},
    {"explain_analyze_insert_writes", "EXPLAIN ANALYZE INSERT INTO public.t SELECT * FROM spectrum_schema.sales",
     "Explain: read spectrum_schema.sales; write public.t"},
    {"explain_options_analyze", "EXPLAIN (ANALYZE, VERBOSE) DELETE FROM public.t WHERE a = 1",
     "Explain: read public.t WHERE a = 1; write public.t"},
    {"drop_tables", "DROP TABLE IF EXISTS public.a, b CASCADE", "Drop: write public.a; write public.b; any schema"},
    {"drop_view", "DROP VIEW spectrum_schema.v", "Drop: write spectrum_schema.v"},
    {"drop_schema", "DROP SCHEMA spectrum_schema", "Drop: object schema spectrum_schema"},
    {"truncate", "TRUNCATE public.sales_fact", "Truncate: write public.sales_fact"},
    {"alter_table", "ALTER TABLE public.sales_fact ADD COLUMN note text", "Alter: write public.sales_fact"},
    {"rename_table", "ALTER TABLE public.a RENAME TO b", "Alter: write public.a"},
    {"alter_role", "ALTER USER analyst SET search_path TO public", "Alter: any schema"},
    {"begin", "BEGIN", "Transaction"},
    {"commit", "COMMIT", "Transaction"},
    {"show", "SHOW search_path", "Show"},
    {"vacuum", "VACUUM spectrum_schema.sales", "Utility: object table spectrum_schema.sales"},
    {"analyze", "ANALYZE public.sales_fact", "Utility: object table public.sales_fact"},
    {"prepare", "PREPARE p(int) AS SELECT * FROM spectrum_schema.sales WHERE year = $1",
     "Utility: read spectrum_schema.sales WHERE year = $1"},
    {"execute", "EXECUTE p(2024)", "Utility"},
    {"deallocate", "DEALLOCATE p", "Utility"},
    {"declare_cursor", "DECLARE c CURSOR FOR SELECT * FROM spectrum_schema.sales WHERE month = 1",
     "Utility: read spectrum_schema.sales WHERE month = 1"},
    {"discard_all", "DISCARD ALL", "Utility: search_path=$user,public"},
    {"grant", "GRANT SELECT ON spectrum_schema.sales TO GROUP analysts", "OtherDdl: object table spectrum_schema.sales"},
    {"comment", "COMMENT ON TABLE public.t IS 'x'", "OtherDdl: object table public.t"},
    {"create_index", "CREATE INDEX i ON public.t (a)", "OtherDdl: object index public.i"},
    {"create_rule_reads", "CREATE RULE r AS ON INSERT TO public.t DO ALSO INSERT INTO public.log SELECT * FROM "
     "spectrum_schema.sales",
     "OtherDdl: read spectrum_schema.sales; write public.log; object table public.t"},
    {"copy_to_stdout", "COPY spectrum_schema.sales (year, amount) TO STDOUT", "Copy: read spectrum_schema.sales"},
    {"copy_query_to", "COPY (SELECT * FROM spectrum_schema.sales WHERE year = 2024) TO STDOUT",
     "Copy: read spectrum_schema.sales WHERE year = 2024"},
    {"copy_from_stdin", "COPY public.sales_fact FROM STDIN", "Copy: write public.sales_fact"},
    {"call", "CALL refresh_all()", "Utility: object procedure public.refresh_all"},
    {"data_modifying_cte",
     "WITH d AS (DELETE FROM public.sales_fact WHERE sale_id = 1 RETURNING *) SELECT * FROM d",
     "Select: read public.sales_fact WHERE sale_id = 1; write public.sales_fact"},
};

// ---- multi-statement texts, prepared statements, $n ------------------------------
const Row kMultiRows[] = {
    {"three_statements", "SELECT 1; SELECT * FROM spectrum_schema.sales WHERE year = 1; COMMIT",
     "Select | Select: read spectrum_schema.sales WHERE year = 1 | Transaction"},
    {"empty_statements_skipped", ";;SELECT 1;;", "Select"},
    {"parse_message_with_several_statements",
     "SELECT * FROM spectrum_schema.sales WHERE year = $1; SELECT * FROM spectrum_schema.sales WHERE month = $2",
     "Select: read spectrum_schema.sales WHERE year = $1 | Select: read spectrum_schema.sales WHERE month = $2"},
    {"one_bad_statement_among_good", "SELECT * FROM public.t WHERE a = 1; SELEC oops; SELECT 2",
     "Select: read public.t WHERE a = 1 | Unparsed | Select"},
    {"semicolon_in_string", "SELECT * FROM public.t WHERE a = ';'; SELECT 2", "Select: read public.t WHERE a = ';' | Select"},
};

class BoundRows : public ::testing::TestWithParam<Row> {};
class ScopeRows : public ::testing::TestWithParam<Row> {};
class NameRows : public ::testing::TestWithParam<Row> {};
class KindRows : public ::testing::TestWithParam<Row> {};
class MultiRows : public ::testing::TestWithParam<Row> {};
class AnyRows : public ::testing::TestWithParam<Row> {};
class QuantifiedRows : public ::testing::TestWithParam<Row> {};
class DisjunctionRows : public ::testing::TestWithParam<Row> {};

void check(const Row& row, const AnalysisContext& ctx) {
  const QueryFacts facts = analyze(row.sql, ctx);
  EXPECT_EQ(describe(facts), row.expected) << "SQL: " << row.sql;
}

TEST_P(BoundRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(ScopeRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(NameRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(KindRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(MultiRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(AnyRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(QuantifiedRows, Facts) { check(GetParam(), AnalysisContext{}); }
TEST_P(DisjunctionRows, Facts) { check(GetParam(), AnalysisContext{}); }

INSTANTIATE_TEST_SUITE_P(Analyzer, BoundRows, ::testing::ValuesIn(kBoundRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, ScopeRows, ::testing::ValuesIn(kScopeRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, NameRows, ::testing::ValuesIn(kNameRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, KindRows, ::testing::ValuesIn(kKindRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, MultiRows, ::testing::ValuesIn(kMultiRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, AnyRows, ::testing::ValuesIn(kAnyRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, QuantifiedRows, ::testing::ValuesIn(kQuantifiedRows), row_name);
INSTANTIATE_TEST_SUITE_P(Analyzer, DisjunctionRows, ::testing::ValuesIn(kDisjunctionRows), row_name);

// ---- with a catalog: relation_exists + columns_of --------------------------------
const Row kCatalogRows[] = {
    {"unqualified_column_owned_by_one_table",
     "SELECT * FROM spectrum_schema.sales s JOIN public.customers c ON s.customer_id = c.id WHERE year = 2024",
     "Select: read spectrum_schema.sales AS s WHERE year = 2024; read public.customers AS c"},
    {"unqualified_column_owned_by_two_tables",
     "SELECT * FROM spectrum_schema.sales s JOIN marketing.campaigns c ON s.customer_id = c.id WHERE year = 2024",
     "Select: read spectrum_schema.sales AS s; read marketing.campaigns AS c"},
    {"unqualified_column_owned_by_neither_is_outer",
     "SELECT * FROM spectrum_schema.sales s WHERE s.amount > (SELECT max(id) FROM public.customers c WHERE year = 2024)",
     "Select: read spectrum_schema.sales AS s; read public.customers AS c"},
    {"search_path_resolves_where_it_exists", "SELECT * FROM sales_fact", "Select: read public.sales_fact"},
    {"unknown_table_first_schema", "SELECT * FROM nowhere", "Select: read public.nowhere"},
    {"system_table_from_catalog", "SELECT * FROM pg_class", "Select: read pg_catalog.pg_class"},
    {"super_navigation_table_exists_fails_closed",
     "SELECT o.id FROM public.customer_orders c, c.c_orders o WHERE c.year = 2024",
     "Select: read public.customer_orders AS c WHERE year = 2024; read c.c_orders AS o"},
    {"alias_column_list_mapped_by_catalog",
     "SELECT * FROM spectrum_schema.sales AS s(a, b, c, d, y, m) WHERE y = 2024 AND s.m = 1",
     "Select: read spectrum_schema.sales AS s WHERE month = 1 AND year = 2024"},
};

class CatalogRows : public ::testing::TestWithParam<Row> {};
TEST_P(CatalogRows, Facts) { check(GetParam(), testing::catalog_context()); }
INSTANTIATE_TEST_SUITE_P(Analyzer, CatalogRows, ::testing::ValuesIn(kCatalogRows), row_name);

// search_path with two schemas and a catalog: resolution follows where the table is.
const Row kSearchPathRows[] = {
    {"first_schema_that_has_it", "SELECT * FROM sales WHERE year = 2024",
     "Select: read spectrum_schema.sales WHERE year = 2024"},
    {"second_schema", "SELECT * FROM customers", "Select: read public.customers"},
    {"qualified_ignores_path", "SELECT * FROM public.sales", "Select: read public.sales"},
    {"set_in_text_changes_later_statements", "SET search_path TO public; SELECT * FROM sales",
     "Set: search_path=public | Select: read public.sales"},
};

class SearchPathRows : public ::testing::TestWithParam<Row> {};
TEST_P(SearchPathRows, Facts) { check(GetParam(), testing::catalog_context({"spectrum_schema", "public"})); }
INSTANTIATE_TEST_SUITE_P(Analyzer, SearchPathRows, ::testing::ValuesIn(kSearchPathRows), row_name);

// ---- columns_read and select_star ------------------------------------------------
struct ColumnRow {
  const char* name;
  const char* sql;
  const char* expected;  // per scan: "schema.table[*]: col,col" (sorted), joined by "; "
};

void PrintTo(const ColumnRow& row, std::ostream* os) { *os << row.name << ": " << row.sql; }

std::string columns_of_facts(const QueryFacts& facts) {
  std::string out;
  for (const auto& st : facts.statements) {
    for (const auto& scan : st.scans) {
      auto cols = scan.columns_read;
      std::sort(cols.begin(), cols.end());
      std::string s = scan.table.qualified() + (scan.select_star ? "*" : "") + ":";
      for (size_t i = 0; i < cols.size(); ++i) s += (i ? "," : " ") + cols[i];
      out += (out.empty() ? "" : "; ") + s;
    }
  }
  return out;
}

const ColumnRow kColumnRows[] = {
    {"star", "SELECT * FROM spectrum_schema.sales", "spectrum_schema.sales*:"},
    {"qualified_star", "SELECT s.* FROM spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id",
     "spectrum_schema.sales*: customer_id; public.customers: id"},
    {"count_star_is_not_select_star", "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024",
     "spectrum_schema.sales: year"},
    {"columns_everywhere",
     "SELECT month, sum(amount) FROM spectrum_schema.sales WHERE year = 2024 GROUP BY month ORDER BY month",
     "spectrum_schema.sales: amount,month,year"},
    {"star_through_subquery_outputs_only", "SELECT * FROM (SELECT year, amount FROM spectrum_schema.sales) t",
     "spectrum_schema.sales: amount,year"},
    {"dateadd_month_is_not_a_column",
     "SELECT DATEADD(month, 1, sale_date), DATEDIFF(day, sale_date, getdate()), DATE_PART(dow, sale_date) FROM "
     "spectrum_schema.sales",
     "spectrum_schema.sales: sale_date"},
    {"date_trunc_word", "SELECT DATE_TRUNC(month, sale_date) FROM spectrum_schema.sales", "spectrum_schema.sales: sale_date"},
    {"sysdate_is_not_a_column", "SELECT amount FROM spectrum_schema.sales WHERE sale_date > sysdate - 30",
     "spectrum_schema.sales: amount,sale_date"},
    {"ambiguous_attributed_to_all", "SELECT name FROM spectrum_schema.sales s JOIN public.customers c ON c.id = s.customer_id",
     "spectrum_schema.sales: customer_id,name; public.customers: id,name"},
    {"super_navigation_reads_column", "SELECT o.o_orderkey FROM public.customer_orders c, c.c_orders o",
     "public.customer_orders: c_orders"},
    {"super_path_in_select", "SELECT c.c_orders[0].o_orderkey FROM public.customer_orders c",
     "public.customer_orders: c_orders"},
    {"window_partition_columns", "SELECT row_number() OVER (PARTITION BY month ORDER BY amount) FROM spectrum_schema.sales",
     "spectrum_schema.sales: amount,month"},
    {"correlated_reference_counts_for_outer",
     "SELECT 1 FROM spectrum_schema.sales s WHERE EXISTS (SELECT 1 FROM public.customers c WHERE c.id = s.customer_id)",
     "spectrum_schema.sales: customer_id; public.customers: id"},
    {"copy_column_list", "COPY spectrum_schema.sales (year, amount) TO STDOUT", "spectrum_schema.sales: amount,year"},
    {"copy_whole_table", "COPY spectrum_schema.sales TO STDOUT", "spectrum_schema.sales*:"},
    {"row_to_json_star", "SELECT row_to_json(s.*) FROM spectrum_schema.sales s", "spectrum_schema.sales*:"},
    {"convert_type_is_not_a_column",
     "SELECT CONVERT(integer, amount), CONVERT(datetime, sale_date), CONVERT(varchar(30), month) FROM "
     "spectrum_schema.sales",
     "spectrum_schema.sales: amount,month,sale_date"},
    {"pivot_on_a_table_reads_every_column",
     "SELECT high FROM spectrum_schema.sales PIVOT (AVG(amount) FOR customer_id IN (1 AS high, 2 AS low))",
     "spectrum_schema.sales*:"},
    {"pivot_on_a_subquery_reads_its_outputs",
     "SELECT high FROM (SELECT customer_id, amount FROM spectrum_schema.sales) PIVOT (AVG(amount) FOR customer_id IN "
     "(1 AS high))",
     "spectrum_schema.sales: amount,customer_id"},
};

class ColumnRows : public ::testing::TestWithParam<ColumnRow> {};
TEST_P(ColumnRows, ColumnsRead) {
  const auto& row = GetParam();
  EXPECT_EQ(columns_of_facts(analyze(row.sql, AnalysisContext{})), row.expected) << "SQL: " << row.sql;
}
INSTANTIATE_TEST_SUITE_P(Analyzer, ColumnRows, ::testing::ValuesIn(kColumnRows),
                         [](const ::testing::TestParamInfo<ColumnRow>& i) { return std::string(i.param.name); });

// ---- details a one-line rendering does not show ----------------------------------
TEST(Analyzer, StatementLocationsFollowPostgres) {
  const std::string sql = "SELECT 1;  SELECT 2 ;\nSELECT 3";
  const QueryFacts f = analyze(sql, AnalysisContext{});
  ASSERT_EQ(f.statements.size(), 3u);
  EXPECT_EQ(f.statements[0].location, 0);
  EXPECT_EQ(f.statements[0].length, 8);
  EXPECT_EQ(f.statements[1].location, 9);
  EXPECT_EQ(sql.substr(9, static_cast<size_t>(f.statements[1].length)), "  SELECT 2 ");
  EXPECT_EQ(f.statements[2].location, 21);
  EXPECT_EQ(f.statements[2].length, 0);
}

TEST(Analyzer, LocationsOnTheDialectPathMatchTheParserPath) {
  // The second statement needs the dialect rules, so the text is split by the scanner.
  const std::string sql = "SELECT 1;  SELECT TOP 5 * FROM spectrum_schema.sales ;\nSELECT 3";
  const QueryFacts f = analyze(sql, AnalysisContext{});
  ASSERT_EQ(f.statements.size(), 3u);
  EXPECT_EQ(f.statements[0].location, 0);
  EXPECT_EQ(f.statements[0].length, 8);
  EXPECT_EQ(f.statements[1].location, 9);
  EXPECT_EQ(sql.substr(9, static_cast<size_t>(f.statements[1].length)), "  SELECT TOP 5 * FROM spectrum_schema.sales ");
  EXPECT_EQ(f.statements[2].location, static_cast<int>(sql.find("\nSELECT 3")));
  EXPECT_EQ(f.statements[2].length, 0);
}

TEST(Analyzer, MaxParamAndFingerprint) {
  const QueryFacts a = analyze("SELECT * FROM t WHERE a = $1 AND b = $3", AnalysisContext{});
  EXPECT_EQ(a.max_param, 3);
  EXPECT_EQ(a.fingerprint.size(), 16u);
  // Same statement shape with other constants: same fingerprint.
  const QueryFacts b = analyze("select * from t where a = 5 and b = 'x'", AnalysisContext{});
  const QueryFacts c = analyze("SELECT * FROM t WHERE a = 7 AND b = 'y'", AnalysisContext{});
  EXPECT_EQ(b.fingerprint, c.fingerprint);
  EXPECT_NE(a.fingerprint, analyze("SELECT * FROM u WHERE a = 1", AnalysisContext{}).fingerprint);
  EXPECT_EQ(analyze("SELEC 1", AnalysisContext{}).fingerprint, "");
}

TEST(Analyzer, ValuesKeepLiteralText) {
  const QueryFacts f = analyze("SELECT * FROM s WHERE m = '01' AND y = 2024 AND z = $2", AnalysisContext{});
  ASSERT_EQ(f.statements.size(), 1u);
  const auto& bounds = f.statements[0].scans.at(0).bounds;
  const Bound& m = bounds.at("m");
  ASSERT_EQ(m.values.size(), 1u);
  EXPECT_EQ(m.values[0].text, "01");
  EXPECT_FALSE(m.values[0].numeric);
  EXPECT_TRUE(bounds.at("y").values[0].numeric);
  EXPECT_EQ(bounds.at("z").values[0].kind, Value::Kind::Param);
  EXPECT_EQ(bounds.at("z").values[0].param, 2);
}

TEST(Analyzer, TableRefDetails) {
  const QueryFacts f = analyze("SELECT * FROM Spectrum_Schema.Sales AS \"S\", orders", AnalysisContext{});
  ASSERT_EQ(f.statements.at(0).scans.size(), 2u);
  const TableRef& a = f.statements[0].scans[0].table;
  EXPECT_EQ(a.schema, "spectrum_schema");
  EXPECT_EQ(a.name, "sales");
  EXPECT_EQ(a.alias, "s");
  EXPECT_TRUE(a.written_qualified);
  const TableRef& b = f.statements[0].scans[1].table;
  EXPECT_EQ(b.schema, "public");
  EXPECT_FALSE(b.written_qualified);
}

TEST(Analyzer, LongNamesAreNotTruncated) {
  // PostgreSQL's scanner keeps 63 bytes of a name; Redshift allows 127.
  const std::string schema(70, 's');
  const std::string table = "Sales_" + std::string(94, 'x');
  const QueryFacts f = analyze("SELECT * FROM " + schema + " . \"" + table + "\" WHERE year = 1", AnalysisContext{});
  ASSERT_EQ(f.statements.at(0).scans.size(), 1u);
  EXPECT_EQ(f.statements[0].scans[0].table.schema, schema);
  EXPECT_EQ(f.statements[0].scans[0].table.name, "sales_" + std::string(94, 'x'));
  EXPECT_EQ(f.statements[0].scans[0].bounds.size(), 1u);
}

TEST(Analyzer, CaseSensitiveIdentifiersKeepQuotedCase) {
  AnalysisContext ctx;
  ctx.case_sensitive_identifiers = true;
  const QueryFacts f = analyze("SELECT * FROM \"Spectrum\".\"Sales\" WHERE \"Year\" = 1 AND month = 2", ctx);
  EXPECT_EQ(describe(f), "Select: read Spectrum.Sales WHERE Year = 1 AND month = 2");
  const QueryFacts g = analyze("SET search_path TO \"Mixed\", other", ctx);
  EXPECT_EQ(describe(g), "Set: search_path=Mixed,other");
}

TEST(Analyzer, EmptyAndCommentOnlyTexts) {
  EXPECT_TRUE(analyze("", AnalysisContext{}).statements.empty());
  EXPECT_TRUE(analyze("  -- nothing\n /* at all */ ", AnalysisContext{}).statements.empty());
}

TEST(Analyzer, EmbeddedNulStopsTheText) {
  const std::string sql("SELECT 1\0; DROP TABLE x", 23);
  EXPECT_EQ(describe(analyze(sql, AnalysisContext{})), "Select");
}

}  // namespace
}  // namespace blueshift::rewrite
