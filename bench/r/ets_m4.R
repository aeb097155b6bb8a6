# R's forecast::ets() on an M4 file pair, with M4's sMAPE and MASE, one series at a time on one core.
# Usage: Rscript bench/r/ets_m4.R TRAIN.csv TEST.csv [HORIZON] [SEASON]
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
h <- if (length(args) >= 3) as.integer(args[3]) else 48L
m <- if (length(args) >= 4) as.integer(args[4]) else 24L
read_m4 <- function(path) {
  raw <- read.csv(path, stringsAsFactors = FALSE, check.names = FALSE)
  lapply(seq_len(nrow(raw)), function(i) {
    v <- suppressWarnings(as.numeric(unlist(raw[i, -1])))
    list(id = raw[i, 1], y = v[!is.na(v)])
  })
}
train <- read_m4(args[1])
test <- read_m4(args[2])
smape <- function(a, f) mean(200 * abs(a - f) / (abs(a) + abs(f)))
mase <- function(x, a, f, m) mean(abs(a - f)) / mean(abs(diff(x, lag = m)))
s <- numeric(length(train)); ms <- numeric(length(train)); secs <- numeric(length(train))
for (i in seq_along(train)) {
  y <- ts(train[[i]]$y, frequency = m)
  t0 <- proc.time()[["elapsed"]]
  fc <- forecast(ets(y), h = h)$mean
  secs[i] <- proc.time()[["elapsed"]] - t0
  a <- test[[i]]$y[1:h]
  s[i] <- smape(a, as.numeric(fc))
  ms[i] <- mase(train[[i]]$y, a, as.numeric(fc), m)
}
cat(sprintf('{"tool": "R forecast %s ets()", "series": %d, "smape": %.4f, "mase": %.4f, "seconds": %.2f}\n',
            as.character(packageVersion("forecast")), length(train), mean(s), mean(ms), sum(secs)))
