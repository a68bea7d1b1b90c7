// End-to-end check of the Efron Cox loss on real data: a linear Cox model on DeepSurv's 7
// covariates, fitted full-batch on the 1546 node-positive Rotterdam patients, must rank the 686
// GBSG patients like R's coxph on the same files: Harrell's C 0.6536 (COMPUTED in
// shared/datasets/published_results.md; data and definitions in data/rotterdam_gbsg/).
#include <gtest/gtest.h>

#include <torch/optim/lbfgs.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "datasets/csv.h"
#include "models/cox_linear.h"
#include "models/losses.h"
#include "models/registry.h"
#include "trainers/observability/metrics.h"

namespace galien {
namespace {

constexpr int kCovariates = 7;  // hormon, size category, meno, age, nodes, pgr, er

struct Cohort {
  std::vector<float> x;  // row-major [n x kCovariates]
  std::vector<double> time;
  std::vector<std::int64_t> event;
  std::int64_t size() const { return static_cast<std::int64_t>(time.size()); }
};

std::string data_file(const std::string& name) {
  return std::string(GALIEN_SOURCE_DIR) + "/data/rotterdam_gbsg/" + name;
}

// Reads named columns of one CSV row.
struct Row {
  const CsvTable& table;
  const CsvRow& row;
  double number(const std::string& column) const { return std::stod(text(column)); }
  const std::string& text(const std::string& column) const {
    const int index = table.column_index(column);
    EXPECT_GE(index, 0) << column;
    return row.fields.at(static_cast<std::size_t>(index));
  }
};

void add_patient(Cohort& cohort, const Row& r, double size_category, double time, double event) {
  for (double value : {r.number("hormon"), size_category, r.number("meno"), r.number("age"),
                       r.number("nodes"), r.number("pgr"), r.number("er")})
    cohort.x.push_back(static_cast<float>(value));
  cohort.time.push_back(time);
  cohort.event.push_back(static_cast<std::int64_t>(event));
}

// Node-positive Rotterdam patients; RFS: status = max(recur, death), time = rtime if recur
// else dtime.
Cohort rotterdam_node_positive() {
  const CsvTable table = read_csv(data_file("rotterdam.csv"));
  Cohort cohort;
  for (const CsvRow& row : table.rows) {
    const Row r{table, row};
    if (r.number("nodes") <= 0) continue;
    const std::string& size = r.text("size");
    const double category = size == "<=20" ? 0 : size == "20-50" ? 1 : size == ">50" ? 2 : -1;
    EXPECT_GE(category, 0) << "size '" << size << "' at line " << row.line;
    const bool recur = r.number("recur") == 1;
    add_patient(cohort, r, category, recur ? r.number("rtime") : r.number("dtime"),
                std::max(r.number("recur"), r.number("death")));
  }
  return cohort;
}

// GBSG: size in mm, cut like Rotterdam's categories; rfstime and status are already RFS.
Cohort gbsg() {
  const CsvTable table = read_csv(data_file("gbsg.csv"));
  Cohort cohort;
  for (const CsvRow& row : table.rows) {
    const Row r{table, row};
    const double mm = r.number("size");
    add_patient(cohort, r, mm <= 20 ? 0 : mm <= 50 ? 1 : 2, r.number("rfstime"),
                r.number("status"));
  }
  return cohort;
}

torch::Tensor features(const Cohort& cohort) {
  return torch::tensor(cohort.x).reshape({cohort.size(), kCovariates});
}

std::int64_t events(const Cohort& cohort) {
  return std::count(cohort.event.begin(), cohort.event.end(), 1);
}

TEST(CoxRotterdam, LinearCoxReproducesCoxphConcordanceOnGbsg) {
  const Cohort train = rotterdam_node_positive(), test = gbsg();
  ASSERT_EQ(train.size(), 1546);
  ASSERT_EQ(events(train), 1080);  // RFS events, as in published_results.md
  ASSERT_EQ(test.size(), 686);
  ASSERT_EQ(events(test), 299);

  // Standardise with the training statistics only.
  const torch::Tensor x_train = features(train);
  const torch::Tensor mean = x_train.mean(0), sd = x_train.std(0);
  // Double precision, as coxph: the fit's convergence test below is tighter than float allows.
  const torch::Tensor x = ((x_train - mean) / sd).to(torch::kFloat64);
  const torch::Tensor x_test = ((features(test) - mean) / sd).to(torch::kFloat64);
  const torch::Tensor time = torch::tensor(train.time), event = torch::tensor(train.event);
  const torch::Tensor weights = torch::ones({train.size()});

  ModelConfig config;
  config.name = "cox_linear";
  auto model = make_model(config, {kCovariates, 1});
  model->to(torch::kFloat64);
  torch::optim::LBFGS optimizer(model->parameters(), torch::optim::LBFGSOptions(1.0)
                                                         .max_iter(200)
                                                         .tolerance_grad(1e-10)
                                                         .tolerance_change(1e-14)
                                                         .line_search_fn("strong_wolfe"));
  auto closure = [&] {
    optimizer.zero_grad();
    // Divided by n only to keep the scale of the objective near 1 for LBFGS's tolerances.
    auto loss = cox_loss(model->forward(x), time, event, weights) / train.size();
    loss.backward();
    return loss;
  };
  for (int round = 0; round < 3; ++round) optimizer.step(closure);
  closure();
  const double gradient_norm = model->parameters()[0].grad().norm().item<double>();
  EXPECT_LT(gradient_norm, 1e-4) << "the fit did not converge";

  torch::NoGradGuard no_grad;
  const torch::Tensor risk = model->forward(x_test).reshape({-1}).contiguous();
  const std::vector<double> scores(risk.data_ptr<double>(),
                                   risk.data_ptr<double>() + risk.numel());
  const double c = concordance_index(scores, test.time, test.event);
  std::cout << "linear Cox, Rotterdam -> GBSG: C = " << c << " (R coxph: 0.6536)\n"
            << "beta (standardised covariates) = " << model->parameters()[0] << "\n";
  EXPECT_NEAR(c, 0.6536, 0.01);
}

}  // namespace
}  // namespace galien
