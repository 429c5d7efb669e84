# Reference values from PHEindicatormethods' own phe_sii, for tests/test_sii.py.
#
# Run from tests/data/sii with a checkout of ukhsa-collaboration/PHEindicatormethods at
# commit 093fd288d8f8949dbcfbed70049dbbf385b6141d:
#
#   Rscript make_r_reference.R /path/to/PHEindicatormethods
#
# It sources R/utils.R and R/SII_function.R from there (needs dplyr, tidyr, purrr, rlang,
# broom) and writes phe_sii_r_reference.csv: one row per case, group and output column.
# Every case runs 1,000,000 repetitions after set.seed(20240601).
args <- commandArgs(trailingOnly = TRUE)
pkg <- if (length(args)) args[1] else "PHEindicatormethods"
suppressPackageStartupMessages({library(dplyr); library(tidyr); library(purrr); library(rlang); library(broom)})
source(file.path(pkg, "R/utils.R")); source(file.path(pkg, "R/SII_function.R"))
td <- read.csv("phe_testdata_sii.csv") %>% group_by(Area, Grouping1, Grouping2)
doc <- read.csv("phe_sii_doc_example.csv") %>% group_by(area)
reps <- 1000000
out <- list()
add <- function(case, res, gcol) {
  res <- as.data.frame(res)
  names(res)[names(res) == gcol] <- "group"
  res <- res[, setdiff(names(res), c("Grouping1", "Grouping2")), drop = FALSE]
  long <- pivot_longer(res, -group, names_to = "column", values_to = "value")
  long$case <- case
  out[[length(out) + 1]] <<- long[, c("case", "group", "column", "value")]
}
run <- function(case, data, gcol, ...) {
  set.seed(20240601)
  res <- suppressWarnings(phe_sii(data, ..., repetitions = reps, type = "standard"))
  add(case, res, gcol)
}
# --- phe_sii documentation example (man/phe_sii.Rd) ---
run("doc_type0_cl", doc, "area", decile, population, value_type = 0, value = value, lower_cl = lowerCL, upper_cl = upperCL, confidence = 0.95, rii = TRUE, intercept = TRUE)
run("doc_type0_se", doc, "area", decile, population, value_type = 0, value = value, se = StandardError, confidence = 0.95, rii = TRUE)
run("doc_rate_log_95_998", doc, "area", decile, population, value_type = 1, transform = TRUE, value = value, lower_cl = lowerCL, upper_cl = upperCL, confidence = c(0.95, 0.998), rii = TRUE, intercept = TRUE)
# --- test data (tests/testthat/testdata_SII.xlsx) ---
run("td1_type0_se_95_998", td[1:20, 3:13], "Area", Quantile, Population, value_type = 0, value = Value, se = StandardError, confidence = c(95, 99.8), rii = TRUE, intercept = TRUE)
run("td61_quintiles_se", td[61:70, 3:13], "Area", Quantile, Population, value_type = 0, value = Value, se = StandardError, rii = TRUE)
run("td71_rate_cl_mult_neg1", td[71:90, 3:13], "Area", Quantile, Population, value_type = 1, value = Value, lower_cl = LowerCL, upper_cl = UpperCL, multiplier = -1, rii = TRUE, intercept = TRUE)
run("td111_prop_cl_mult100_intercept", td[111:130, 3:13], "Area", Quantile, Population, value_type = 2, value = Value, lower_cl = LowerCL, upper_cl = UpperCL, multiplier = 100, rii = TRUE, intercept = TRUE)
run("td91_prop_count_cl", td[91:110, 3:13], "Area", Quantile, Population, value_type = 2, x = Count, lower_cl = LowerCL, upper_cl = UpperCL, rii = TRUE)
run("td326_prop_logit_998", td[326:345, 3:13], "Area", Quantile, Population, value_type = 2, value = Value, lower_cl = LowerCL, upper_cl = UpperCL, transform = TRUE, confidence = 0.998, rii = TRUE, intercept = TRUE)
run("td486_prop_logit_95_98_neg100", td[486:505, 3:13], "Area", Quantile, Population, value_type = 2, value = Value, lower_cl = LowerCL, upper_cl = UpperCL, transform = TRUE, confidence = c(95, 98), multiplier = -100, rii = TRUE, intercept = TRUE)
run("td306_rate_log_mult_half", td[306:325, 3:13], "Area", Quantile, Population, value_type = 1, value = Value, lower_cl = LowerCL, upper_cl = UpperCL, transform = TRUE, multiplier = 0.5, rii = TRUE, intercept = TRUE)
res <- bind_rows(out)
res$column <- sub("^(sii|rii)_(lower|upper)([0-9]+_[0-9])$", "\\1_\\2\\3cl", res$column)
write.csv(res, "phe_sii_r_reference.csv", row.names = FALSE)
