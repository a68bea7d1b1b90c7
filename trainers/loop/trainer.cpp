#include "trainers/loop/trainer.h"

#include <torch/nn/functional/loss.h>
#include <torch/types.h>
#include <torch/utils.h>  // torch::manual_seed

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/config/identity.h"
#include "core/error.h"
#include "core/exit_codes.h"
#include "core/hash.h"
#include "core/log.h"
#include "datasets/epoch_plan.h"
#include "datasets/manifest.h"
#include "datasets/rank_shards.h"
#include "datasets/run_checks.h"
#include "models/registry.h"
#include "privacy/audit_log.h"
#include "privacy/data_keys.h"
#include "trainers/loop/augment.h"
#include "trainers/loop/batch_loader.h"
#include "trainers/distributed/buffer_sync.h"
#include "trainers/loop/checkpoint.h"
#include "trainers/loop/device.h"
#include "trainers/loop/evaluate.h"
#include "trainers/loop/flat_parameters.h"
#include "trainers/distributed/gradient_sync.h"
#include "trainers/loop/lr_schedule.h"
#include "trainers/loop/optimizer.h"
#include "trainers/loop/precision.h"
#include "trainers/observability/progress.h"
#include "trainers/observability/run_card.h"
#include "trainers/observability/run_dir.h"
#include "trainers/distributed/stop_signal.h"
#include "trainers/tasks/registry.h"
#include "trainers/observability/tensorboard.h"
#include "trainers/loop/threads.h"
#include "trainers/distributed/watchdog.h"

namespace galien {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Every rank must run the same config on the same data; otherwise collectives would pair up
// different things and hang or silently diverge. Names the ranks that differ.
void check_ranks_agree(const Comm& comm, const std::string& what, const std::string& value) {
  const auto values = comm.allgather(value);
  std::string differing;
  for (int r = 0; r < comm.size(); ++r)
    if (values[static_cast<std::size_t>(r)] != values[0])
      differing += (differing.empty() ? "" : ", ") + std::to_string(r);
  if (!differing.empty())
    GALIEN_USER_ERROR("ranks disagree on the " << what << ": rank(s) " << differing
                      << " differ from rank 0; start every rank with the same config and data");
}

void add_split_metrics(nlohmann::json& record, const std::string& split,
                       const std::map<std::string, double>& metrics) {
  for (const auto& [name, value] : metrics)
    record[split + "/" + name] = std::isnan(value) ? nlohmann::json() : nlohmann::json(value);
}

// trainer.channels_last: 4-D weights (2-D convolutions) in NHWC order, the layout GPU
// convolution kernels (cuDNN, MIOpen) run fastest in; images follow in the training step.
void use_channels_last(Model& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.data().contiguous(at::MemoryFormat::ChannelsLast));
}

std::vector<float> flatten(const std::vector<torch::Tensor>& tensors) {
  std::vector<float> flat;
  for (const auto& t : tensors) {
    if (!t.is_floating_point()) continue;  // BatchNorm's batch counters
    auto values = t.detach().to(torch::kCPU, torch::kFloat32).reshape({-1}).contiguous();
    flat.insert(flat.end(), values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return flat;
}

// The checkpoint to resume from: trainer.resume = never | auto | a path.
std::string resume_path(const TrainerConfig& config, const std::string& checkpoints_dir) {
  if (config.resume == "never") return "";
  if (config.resume == "auto") {
    const std::string last = checkpoints_dir + "/last.pt";
    return std::filesystem::exists(last) ? last : "";
  }
  if (!std::filesystem::exists(config.resume))
    GALIEN_USER_ERROR("trainer.resume names " << config.resume << ", which does not exist");
  return config.resume;
}

void check_resume_identity(const TrainingState& state, const Config& config,
                           const std::string& manifest_hash, const std::string& path) {
  if (config.trainer.resume_ignore_mismatch) return;
  // What was trained must match; where files are (a moved run directory, shards staged on
  // scratch) and how the job is launched need not (core/config/identity.h). A checkpoint from
  // before the training identity existed is held to the whole config, as it was written.
  const bool has_identity = !state.training_sha256.empty();
  const std::string expected = has_identity ? training_identity_sha256(config) : config.sha256;
  const std::string& recorded = has_identity ? state.training_sha256 : state.config_sha256;
  if (recorded != expected)
    GALIEN_USER_ERROR(path << " was written by another config (training SHA-256 " << recorded
                      << ", this run " << expected << "; only the keys of `galien config keys` "
                      << "other than run and data locations and launch.* count); resume with the "
                      << "same config, or set trainer.resume_ignore_mismatch=true, or "
                      << "trainer.resume=never");
  if (state.manifest_sha256 != manifest_hash)
    GALIEN_USER_ERROR(path << " was written for another dataset (manifest SHA-256 "
                      << state.manifest_sha256 << ", this run " << manifest_hash << "); "
                      << "set trainer.resume_ignore_mismatch=true to continue anyway");
}

// Everything one training run holds; the loop below reads top to bottom.
class Run {
 public:
  Run(const Config& config, const Comm& comm) : config_(config), tc_(config.trainer), comm_(comm) {}

  TrainResult execute();

 private:
  void set_up();
  void record_shards_read() const;
  void resume_if_asked();
  bool train_epoch();  // false when the run must stop (signal)
  void end_of_epoch();
  void save_checkpoint(bool also_step_file);
  void write_pending_best();  // rank 0: best.pt, if an improvement is not on disk yet
  TrainResult finish(const std::string& status);
  double monitored(const nlohmann::json& record) const;
  double fold_loss();  // moves the on-device loss accumulator into state_ (one device sync)
  void write_predictions(const std::string& split, const Evaluation& evaluation) const;
  void append_final_metrics(const std::map<std::string, double>& test,
                            const std::map<std::string, double>& train) const;

  const Config& config_;
  const TrainerConfig& tc_;
  Comm comm_;
  Clock::time_point start_ = Clock::now();
  std::unique_ptr<Watchdog> watchdog_;
  Manifest manifest_;
  std::string manifest_hash_, run_dir_;
  std::string reader_key_kind_ = "none", reader_key_id_;  // for the audit log
  MonitorChoice monitor_;  // trainer.monitor as the splits allow (datasets/run_checks.h)
  int threads_ = 1;
  std::unique_ptr<TrainingTask> task_;  // what is learned: batch fields, loss, metrics
  torch::Tensor loss_accumulator_;  // this epoch's reported loss not yet in state_
  torch::Device device_{torch::kCPU};
  std::unique_ptr<RankShards> train_, val_, test_;
  std::unique_ptr<RunDirectory> run_;            // rank 0 only, like the two below
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  std::unique_ptr<ProgressDisplay> progress_;
  std::unique_ptr<CheckpointStore> store_;
  // best.pt of the latest improvement, serialised but not yet written (rank 0). Written with the
  // next step checkpoint and at the end of the run: writing (and fsyncing) ~1 MB at every
  // improved epoch took more time than the epoch of a small model (docs/BENCHMARKS.md), and
  // a step checkpoint (what a run resumes from) always finds the best.pt of its best value on
  // disk beside it.
  std::string pending_best_;
  std::shared_ptr<Model> model_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  FlatParameters* flat_ = nullptr;  // the fused optimiser's buffers (optim.fused), else nullptr
  std::vector<torch::Tensor> params_;  // model_->parameters(), which builds a new vector per call
  std::unique_ptr<ReduceBackend> backend_;
  std::unique_ptr<GradientSync> sync_;
  std::unique_ptr<BufferSync> buffers_;
  std::unique_ptr<LrSchedule> schedule_;
  TrainingState state_;
  StepTimings timings_;
  std::int64_t batches_per_epoch_ = 0;
  std::map<std::string, double> val_metrics_;
  bool early_stopped_ = false;
};

void Run::set_up() {
  if (config_.data.shard_dir.empty())
    GALIEN_USER_ERROR(config_.source_file << ": data.shard_dir is not set; it must name the "
                      << "output of `galien shard`");
  if (tc_.batch_size < comm_.size())
    GALIEN_USER_ERROR("trainer.batch_size " << tc_.batch_size << " is the global batch and must "
                      << "be at least the number of ranks (" << comm_.size() << ")");
  watchdog_ = std::make_unique<Watchdog>(
      tc_.collective_timeout_s, comm_.rank(), [comm = comm_](const std::string& message) {
        std::cerr << "galien: " << message << std::endl;
        comm.abort(kExitWatchdog);
      });
  comm_.set_watchdog(watchdog_.get());
  install_stop_handlers();
  threads_ = choose_threads(tc_.threads, comm_.local_size());
  apply_threads(threads_);
  keep_freed_memory();
  device_ = choose_device(tc_.device, comm_.local_rank());

  run_dir_ = comm_.is_root() ? resolve_run_dir(config_) : std::string();
  comm_.broadcast(run_dir_, 0);
  // With the data controller's key: the manifest's HMAC is checked first and encrypted shards
  // are decrypted in memory; without it, plain shards are checked by SHA-256 (docs/FORMAT.md).
  const std::optional<DataKeys> keys = load_data_keys(config_.privacy.key_file);
  const DataKeys* key = keys ? &*keys : nullptr;
  if (key) {
    reader_key_kind_ = key_kind_name(key->kind());
    reader_key_id_ = key->file_key_id();
    if (key->kind() == KeyKind::kController)
      log::info0("warning: {}", controller_key_at_compute_warning(config_.privacy.key_file, *key,
                                                                  config_.data.shard_dir));
  }
  manifest_ = load_manifest(config_.data.shard_dir, key);
  manifest_hash_ = manifest_sha256(config_.data.shard_dir);
  check_ranks_agree(comm_, "resolved config (SHA-256)", config_.sha256);
  check_ranks_agree(comm_, "data manifest (SHA-256)", manifest_hash_);

  const std::string& dir = config_.data.shard_dir;
  const ShardReadPath read_path = shard_read_path(tc_.shard_reader);  // trainer.shard_reader
  train_ = std::make_unique<RankShards>(dir, manifest_, "train", comm_.size(), comm_.rank(), key,
                                        read_path);
  // Before step 1: a monitor the splits cannot give fails now, not at the end of epoch 1.
  monitor_ = resolve_monitor(config_, manifest_);
  if (!monitor_.note.empty()) log::info0("{}", monitor_.note);
  // Only the splits trainer.eval_splits asks for are read (and so in the audit log).
  if (evaluates_split(config_, manifest_, "val"))
    val_ = std::make_unique<RankShards>(dir, manifest_, "val", comm_.size(), comm_.rank(), key,
                                        read_path);
  if (evaluates_split(config_, manifest_, "test"))
    test_ = std::make_unique<RankShards>(dir, manifest_, "test", comm_.size(), comm_.rank(), key,
                                         read_path);
  record_shards_read();
  task_ = make_task(config_, manifest_, train_->image_shape(), dir, comm_, device_);
  task_->check_train_split(*train_);
  const TaskSpec& spec = task_->spec();
  store_ = std::make_unique<CheckpointStore>(run_dir_ + "/checkpoints", tc_.keep_checkpoints);

  torch::manual_seed(tc_.seed);
  model_ = make_model(config_.model, model_shape(spec, manifest_.num_features()));
  model_->to(device_);
  if (tc_.channels_last) use_channels_last(*model_);
  broadcast_parameters(model_->parameters(), comm_, 0);
  buffers_ = std::make_unique<BufferSync>(model_->buffers(), comm_);
  params_ = model_->parameters();
  optimizer_ = make_optimizer(config_.optim, params_);
  flat_ = flat_parameters(*optimizer_);
  std::int64_t num_parameters = 0;
  for (const auto& p : model_->parameters()) num_parameters += p.numel();
  std::string shapes;
  for (const auto& p : model_->named_parameters()) shapes += p.key() + ":" + c10::str(p.value().sizes()) + ";";
  check_ranks_agree(comm_, "model parameters (names, shapes, order)", shapes);
  if (comm_.size() > 1) {
    backend_ = device_.is_cuda() && nccl_available()
                   ? make_nccl_backend(comm_, device_.index())
                   : make_mpi_backend(comm_, device_.is_cuda() && mpi_is_cuda_aware());
    sync_ = make_gradient_sync(tc_.gradient_sync, params_, *backend_, tc_.bucket_mb, flat_);
  }
  if (augmentation_enabled(config_.augment)) {
    if (spec.image.empty())
      GALIEN_USER_ERROR("augment.* is set but the shards in " << dir << " hold no images; "
                        << "remove the augment section");
    if (config_.augment.rotate90 && spec.image[spec.image.size() - 1] != spec.image[spec.image.size() - 2])
      GALIEN_USER_ERROR("augment.rotate90 needs square images; these are "
                        << spec.image[spec.image.size() - 2] << " x " << spec.image.back());
  }
  loss_accumulator_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));

  batches_per_epoch_ =
      EpochPlan(train_->shard_sizes(), comm_.size(), comm_.rank(), tc_.batch_size, tc_.seed, 0)
          .num_batches();
  const std::int64_t steps_per_epoch =
      (batches_per_epoch_ + tc_.gradient_accumulation - 1) / tc_.gradient_accumulation;
  schedule_ = std::make_unique<LrSchedule>(config_.optim, tc_.batch_size,
                                           steps_per_epoch * tc_.epochs, steps_per_epoch);
  state_.config_sha256 = config_.sha256;
  state_.training_sha256 = training_identity_sha256(config_);
  state_.manifest_sha256 = manifest_hash_;
  log::info0("{} ({} loss) of {} ({} parameters) on {} rank(s) x {} thread(s), {}, {}{}, gradient sync {}{}: "
             "{} train samples, global batch {}, {} epochs -> {}",
             task_->name(), task_->loss().name, config_.model.name, num_parameters, comm_.size(), threads_, describe_device(device_),
             config_.optim.name, flat_ ? " (fused)" : "",
             comm_.size() > 1 ? tc_.gradient_sync : "none",
             backend_ ? " over " + backend_->name() : "", manifest_.splits.at("train").num_samples,
             tc_.batch_size, tc_.epochs, run_dir_);
}

// Tamper-evident audit log: which shards this rank of this job read (user, host and job id are
// added by append_shards_read).
void Run::record_shards_read() const {
  ShardsReadEvent event{config_.data.shard_dir, manifest_hash_, config_.sha256, manifest_.key_id,
                        {}, comm_.rank(), comm_.size(), reader_key_kind_, reader_key_id_};
  for (const RankShards* shards : {train_.get(), val_.get(), test_.get()})
    if (shards)
      event.shards.insert(event.shards.end(), shards->owned_files().begin(),
                          shards->owned_files().end());
  append_shards_read(audit_log_path(config_), event);
}

void Run::resume_if_asked() {
  const std::string path = resume_path(tc_, run_dir_ + "/checkpoints");
  check_ranks_agree(comm_, "checkpoint to resume from", path);
  if (path.empty()) return;
  state_ = load_checkpoint(path, *model_, *optimizer_);
  check_resume_identity(state_, config_, manifest_hash_, path);
  schedule_->load_state(state_.schedule);
  // Partial epoch sums were saved as global totals: rank 0 carries them, the others restart at 0.
  if (!comm_.is_root()) state_.epoch_loss_sum = state_.epoch_samples = 0;
  check_ranks_agree(comm_, "resume position", std::to_string(state_.step));
  log::info0("resumed from {} at epoch {}, batch {}, step {}", path, state_.epoch + 1,
             state_.next_batch, state_.step);
}

double Run::fold_loss() {
  state_.epoch_loss_sum += loss_accumulator_.item<double>();
  loss_accumulator_.zero_();
  return state_.epoch_loss_sum;
}

void Run::save_checkpoint(bool also_step_file) {
  fold_loss();
  // The partial epoch sums are per rank: store their global totals.
  double sums[2] = {state_.epoch_loss_sum, state_.epoch_samples};
  comm_.allreduce_sum(sums, 2);
  TrainingState saved = state_;
  saved.epoch_loss_sum = sums[0];
  saved.epoch_samples = sums[1];
  saved.schedule = schedule_->state();
  if (comm_.is_root() && also_step_file) {
    write_pending_best();
    store_->save_step(serialize_checkpoint(*model_, *optimizer_, saved), state_.step);
  }
  comm_.barrier();  // no rank runs ahead of a checkpoint it might need
}

void Run::write_pending_best() {
  if (pending_best_.empty()) return;
  store_->save_named(pending_best_, "best.pt");
  pending_best_.clear();
}

bool Run::train_epoch() {
  EpochPlan plan(train_->shard_sizes(), comm_.size(), comm_.rank(), tc_.batch_size, tc_.seed,
                 static_cast<std::uint64_t>(state_.epoch));
  BatchTransform augment;
  if (augmentation_enabled(config_.augment) && !task_->spec().image.empty() &&
      !task_->augments_itself())
    augment = [this, epoch = static_cast<std::uint64_t>(state_.epoch)](Batch& batch,
                                                                      const RankBatch& part) {
      augment_images(batch.image, part.samples, config_.augment, tc_.seed, epoch);
    };
  BatchLoader loader(*train_, plan, *task_, state_.next_batch, tc_.prefetch_batches, device_,
                     std::move(augment));
  // On the CPU reading a loss value is free; on a GPU it waits for the device, so the running
  // loss shown there is refreshed every 20 steps instead of every step.
  const int fold_every = device_.is_cpu() ? 1 : 20;
  double shown_loss = std::nan("");
  const int accumulation = tc_.gradient_accumulation;
  double normaliser = 0;
  int micro_batches = 1;
  if (progress_) progress_->begin_epoch(static_cast<int>(state_.epoch) + 1, state_.next_batch);
  const std::int64_t first_batch = state_.next_batch;  // > 0 when resuming mid-epoch
  for (std::int64_t b = first_batch; b < plan.num_batches(); ++b) {
    const auto t0 = Clock::now();
    const bool first_micro = b % accumulation == 0 || b == first_batch;
    const bool last_micro = (b + 1) % accumulation == 0 || b + 1 == plan.num_batches();
    if (first_micro) {
      if (flat_)
        flat_->zero_gradients();
      else
        zero_gradients(params_);
      // Real samples of every global micro-batch in this optimiser step: the loss normaliser.
      normaliser = 0;
      const std::int64_t group = b - b % accumulation;
      const std::int64_t group_end = std::min(plan.num_batches(), group + accumulation);
      for (std::int64_t m = group; m < group_end; ++m)
        normaliser += static_cast<double>(plan.global_real(m));
      micro_batches = static_cast<int>(group_end - group);
    }
    Batch batch = loader.next();
    const auto t1 = Clock::now();
    if (sync_) sync_->prepare(last_micro);
    buffers_->broadcast_from_root();
    if (tc_.channels_last && batch.image.dim() == 4)
      batch.image = batch.image.contiguous(at::MemoryFormat::ChannelsLast);
    torch::Tensor output;
    {
      AutocastScope autocast(use_bf16(tc_.precision), device_);
      output = model_->forward(ModelInputs{batch.features, batch.image});
    }
    const StepLoss loss =
        task_->training_loss(output.to(torch::kFloat32), batch, normaliser, micro_batches);
    loss.objective.backward();
    const auto t2 = Clock::now();
    state_.epoch_samples += loss.reported_count;
    state_.next_batch = b + 1;
    if (fold_every == 1) {  // CPU: read the value directly, no accumulator ops
      const double value = loss.reported.item<double>();
      state_.epoch_loss_sum += value;
      shown_loss = value / std::max(1.0, loss.reported_count);
    } else {
      loss_accumulator_ += loss.reported;
      if ((b + 1) % fold_every == 0) {
        const double before = state_.epoch_loss_sum;
        shown_loss = (fold_loss() - before) / std::max(1.0, loss.reported_count);
      }
    }
    if (progress_) progress_->step(shown_loss, batch.global_real);
    if (!last_micro) {
      timings_.add(std::chrono::duration<double>(t1 - t0).count(),
                   std::chrono::duration<double>(t2 - t1).count(), 0);
      continue;
    }
    if (sync_) sync_->finish();
    const auto t3 = Clock::now();
    if (config_.optim.clip_grad_norm > 0) {
      if (flat_) {
        flat_->ensure_views();
        clip_gradient_norm(flat_->gradients(), config_.optim.clip_grad_norm);
      } else {
        clip_gradient_norm(params_, config_.optim.clip_grad_norm);
      }
    }
    set_learning_rate(*optimizer_, schedule_->at(state_.step));
    optimizer_->step();
    ++state_.step;
    watchdog_->set_step(state_.step);
    timings_.add(std::chrono::duration<double>(t1 - t0).count(),
                 std::chrono::duration<double>((t2 - t1) + (Clock::now() - t3)).count(),
                 std::chrono::duration<double>(t3 - t2).count());
    if (tc_.log_every_steps > 0 && state_.step % tc_.log_every_steps == 0 && !stderr_is_terminal())
      log::info0("step {} | batch loss {:.4f}", state_.step, shown_loss);
    // All ranks agree on stopping, so they all leave at the same step boundary.
    const bool stop = comm_.allreduce_max(stop_requested() ? 1.0 : 0.0) > 0;
    if (stop || (tc_.checkpoint_every_steps > 0 && state_.step % tc_.checkpoint_every_steps == 0))
      save_checkpoint(true);
    if (stop) return false;
  }
  return true;
}

double Run::monitored(const nlohmann::json& record) const {
  auto it = record.find(monitor_.metric);
  if (it == record.end()) {
    std::string logged;
    for (const auto& item : record.items()) logged += (logged.empty() ? "" : ", ") + item.key();
    GALIEN_USER_ERROR("trainer.monitor '" << monitor_.metric << "' is not a logged metric; logged: "
                      << logged);
  }
  return it->is_null() ? std::nan("") : it->get<double>();
}

void Run::end_of_epoch() {
  fold_loss();
  double sums[2] = {state_.epoch_loss_sum, state_.epoch_samples};
  comm_.allreduce_sum(sums, 2);
  // The last step's forward updated each rank's BatchNorm statistics from its own batch:
  // evaluate one model, rank 0's (the one its checkpoints hold).
  buffers_->broadcast_from_root();
  if (val_)
    val_metrics_ = evaluate_split(*model_, *val_, *task_, comm_, device_).metrics;
  // Rank 0 decides (it holds the metrics) and tells the others: improved?, early stop?
  double decision[3] = {0, 0, 0};  // improved, stop early, monitored value
  if (comm_.is_root()) {
    nlohmann::json record{{"epoch", state_.epoch + 1}, {"step", state_.step},
                          {"train/loss", sums[0] / sums[1]},
                          {"learning_rate", schedule_->at(std::max<std::int64_t>(0, state_.step - 1))},
                          {"time_s", seconds_since(start_)}};
    add_split_metrics(record, "val", val_metrics_);
    const double value = monitored(record);
    const bool higher = monitor_.mode == "max";
    const bool improved = !std::isnan(value) &&
                          (!state_.has_best || (higher ? value > state_.best_metric : value < state_.best_metric));
    decision[0] = improved;
    decision[1] = !improved && tc_.early_stopping_patience > 0 &&
                  state_.epochs_without_improvement + 1 >= tc_.early_stopping_patience;
    decision[2] = value;
    run_->append_metrics(record);
    std::map<std::string, double> scalars;
    for (const auto& [key, x] : record.items())
      if (key != "epoch" && key != "step") scalars[key] = x.is_null() ? std::nan("") : x.get<double>();
    tensorboard_->add_scalars(scalars, state_.step);
    tensorboard_->flush();
    std::map<std::string, double> shown{{"train/loss", sums[0] / sums[1]}};
    for (const auto& [name, v] : val_metrics_)
      if (name == "loss" || name == "accuracy" || name == "auc" || name == "c_index" || name == "r2" ||
          name == "dice")
        shown["val/" + name] = v;
    progress_->end_epoch(shown);
  }
  comm_.broadcast(decision, sizeof(decision), 0);
  schedule_->end_of_epoch(decision[2], monitor_.mode == "max");
  if (decision[0] > 0) {
    state_.best_metric = decision[2];
    state_.has_best = true;
    state_.epochs_without_improvement = 0;
  } else {
    ++state_.epochs_without_improvement;
  }
  early_stopped_ = decision[1] > 0;
  ++state_.epoch;
  state_.next_batch = 0;
  state_.epoch_loss_sum = state_.epoch_samples = 0;
  const bool periodic = tc_.checkpoint_every_steps == 0;
  if (periodic || decision[0] > 0) {
    TrainingState saved = state_;
    saved.schedule = schedule_->state();
    if (comm_.is_root()) {
      std::string bytes = serialize_checkpoint(*model_, *optimizer_, saved);
      if (periodic) {
        if (decision[0] > 0) pending_best_ = bytes;
        write_pending_best();
        store_->save_step(bytes, state_.step);
      } else {
        pending_best_ = std::move(bytes);  // written with the next step checkpoint or at the end
      }
    }
    if (periodic) comm_.barrier();  // no rank runs ahead of a checkpoint it might need
  }
}

TrainResult Run::finish(const std::string& status) {
  // Final evaluations: test (and train when asked) of the final model, predictions per sample.
  std::map<std::string, double> test_metrics, train_metrics;
  if (comm_.is_root()) write_pending_best();
  buffers_->broadcast_from_root();  // one model on every rank: rank 0's, as saved
  if (status == "completed") {
    if (test_) {
      const Evaluation test = evaluate_split(*model_, *test_, *task_, comm_, device_);
      test_metrics = test.metrics;
      write_predictions("test", test);
    }
    if (evaluates_split(config_, manifest_, "train")) {
      const Evaluation train = evaluate_split(*model_, *train_, *task_, comm_, device_);
      train_metrics = train.metrics;
      write_predictions("train", train);
    }
  }
  TrainResult result{status, run_dir_, {}, flatten(model_->parameters()), flatten(model_->buffers())};
  // Peak resident memory of every rank (ru_maxrss, KiB on Linux), for sizing jobs: with patches
  // (segmentation) it is bounded by the patch and batch, not by the volumes.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::vector<std::int64_t> peak_kib =
      comm_.gather(std::vector<std::int64_t>{static_cast<std::int64_t>(usage.ru_maxrss)}, 0);
  if (!comm_.is_root()) return result;
  nlohmann::json peak_mib = nlohmann::json::array();
  for (std::int64_t kib : peak_kib) peak_mib.push_back(static_cast<double>(kib) / 1024.0);
  if (status == "completed") save_model_checkpoint(*model_, run_dir_ + "/checkpoints/final.pt");
  nlohmann::json metrics = nlohmann::json::object();
  add_split_metrics(metrics, "val", val_metrics_);
  add_split_metrics(metrics, "test", test_metrics);
  add_split_metrics(metrics, "train", train_metrics);
  if (!test_metrics.empty() || !train_metrics.empty()) append_final_metrics(test_metrics, train_metrics);
  result.summary = {{"status", status},
                    {"task", task_->name()},
                    {"loss", task_->loss().name},
                    {"world_size", comm_.size()},
                    {"epochs_completed", state_.epoch},
                    {"steps", state_.step},
                    {"early_stopped", early_stopped_},
                    {"metrics", metrics},
                    {"parameters_sha256", parameters_sha256(result.parameters)},
                    {"config_sha256", config_.sha256},
                    {"data_manifest_sha256", manifest_hash_},
                    {"device", describe_device(device_)},
                    {"checkpoint", status == "completed" ? "checkpoints/final.pt" : "checkpoints/last.pt"},
                    {"time_s", seconds_since(start_)},
                    {"timings_ms_per_step", timings_.to_json()},
                    {"peak_rss_mib_per_rank", peak_mib}};
  if (status == "stopped") result.summary["stop_signal"] = stop_signal_number();
  run_->write_summary(result.summary);
  RunCardInfo card{config_, manifest_, manifest_hash_, comm_.size(), threads_, result.summary};
  run_->write_text("run_card.md", render_run_card(card));
  log::info0("{}: {} -> {}", status, metrics.dump(), run_dir_);
  return result;
}

// The final model's test/ and train/ metrics as the last record of metrics.jsonl, marked
// "final": 1 (reports/metrics_log.h keeps it out of the learning curves: its train/loss is the
// final model's evaluated loss, not the epoch's running mean), and in TensorBoard. Rank 0 only.
void Run::append_final_metrics(const std::map<std::string, double>& test,
                               const std::map<std::string, double>& train) const {
  nlohmann::json record{{"epoch", state_.epoch}, {"step", state_.step}, {"final", 1}};
  add_split_metrics(record, "test", test);
  add_split_metrics(record, "train", train);
  run_->append_metrics(record);
  std::map<std::string, double> scalars;
  for (const auto& [key, x] : record.items())
    if (key != "epoch" && key != "step" && key != "final")
      scalars["final/" + key] = x.is_null() ? std::nan("") : x.get<double>();
  tensorboard_->add_scalars(scalars, state_.step);
  tensorboard_->flush();
}

// predictions-<split>.csv: one row per sample keyed by pseudonym, for the data controller to
// re-link (docs/training.md). Rank 0 only.
void Run::write_predictions(const std::string& split, const Evaluation& evaluation) const {
  if (!comm_.is_root()) return;
  run_->write_text("predictions-" + split + ".csv", evaluation.predictions.to_csv());
}

TrainResult Run::execute() {
  set_up();
  resume_if_asked();
  // Only now, once a refused resume can no longer leave a half-changed run directory behind.
  if (comm_.is_root()) {
    run_ = std::make_unique<RunDirectory>(run_dir_, config_);
    tensorboard_ = std::make_unique<TensorBoardWriter>(run_dir_ + "/tensorboard");
    progress_ = std::make_unique<ProgressDisplay>(std::cerr, stderr_is_terminal(), tc_.epochs,
                                                  batches_per_epoch_);
  }
  while (state_.epoch < tc_.epochs && !early_stopped_) {
    if (!train_epoch()) return finish("stopped");
    end_of_epoch();
  }
  return finish("completed");
}

}  // namespace

std::string parameters_sha256(const std::vector<float>& parameters) {
  return sha256_hex(std::string_view(reinterpret_cast<const char*>(parameters.data()),
                                     parameters.size() * sizeof(float)));
}

TrainResult train(const Config& config, const Comm& comm) {
  Run run(config, comm);
  return run.execute();
}

}  // namespace galien
