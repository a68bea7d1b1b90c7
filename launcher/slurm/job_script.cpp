// The scripts are plain bash a user can read, edit and resubmit; every value that came from a
// user goes through shell_quote. Facts behind the signal and requeue handling (bash defers traps
// during a foreground command; B: signals reach only the batch shell): slurm-facts.md.
#include "launcher/slurm/job_script.h"

#include <sstream>

#include "launcher/slurm/directives.h"
#include "launcher/slurm/shell.h"

namespace galien::slurm {
namespace {

bool uses_srun(const Profile& profile) { return profile.launcher.front() == "srun"; }

std::string submit_command(const Profile& profile) {
  return profile.scheduler == Scheduler::kBridge ? "ccc_msub" : "sbatch";
}

void write_header(std::ostream& out, const std::string& what, const Profile& profile,
                  const std::string& script) {
  out << "#!/bin/bash\n"
      << "# galien " << what << " on " << profile.name << " (" << profile.file << ").\n"
      << "# Rendered by `galien launch`. Resubmit (the same run) with:\n"
      << "#   " << submit_command(profile) << " " << script << "\n";
}

// Variables, working directory, modules, environment and a first log line.
void write_preamble(std::ostream& out, const Profile& profile, const JobResources& job,
                    const JobFiles& files) {
  out << "\n# Fixed at submission: a requeued or resubmitted job reruns exactly this.\n"
      << "GALIEN=" << shell_quote(files.galien) << "\n"
      << "CONFIG=" << shell_quote(files.config) << "\n"
      << "cd " << shell_quote(files.workdir) << " || exit 1\n";
  if (profile.module_purge || !files.modules.empty()) out << "\n";
  if (profile.module_purge) out << "module purge\n";
  for (const std::string& module : files.modules)
    out << "module load " << shell_quote(module) << "\n";
  out << "\nexport OMP_NUM_THREADS=" << job.cpus_per_task << "\n"
      << "export OPENBLAS_NUM_THREADS=" << job.cpus_per_task << "\n";
  for (const auto& [name, value] : profile.environment)
    out << "export " << name << "=\"" << value << "\"\n";
  out << "\necho \"galien: job ${SLURM_JOB_ID} started $(date -u +%FT%TZ),\" \\\n"
         "  \"restart ${SLURM_RESTART_COUNT:-0}, nodes ${SLURM_JOB_NODELIST}\"\n";
}

std::vector<Directive> training_directives(const Profile& profile, const JobResources& job,
                                           const TrainingJob& training) {
  std::vector<Directive> d{{"job-name", training.files.name}};
  for (const Directive& resource : resource_directives(profile, job)) d.push_back(resource);
  const bool sweep = !training.points.empty();
  const std::string log = training.run_dir + (sweep ? "/point-%a/job.log" : "/job.log");
  d.push_back({"output", log});
  d.push_back({"error", log});
  d.push_back({"open-mode", "append"});  // one log across restarts
  d.push_back({"signal", "B:USR1@" + std::to_string(training.signal_margin_s)});
  d.push_back({"requeue", ""});
  if (sweep) {
    std::string range = "0-" + std::to_string(training.points.size() - 1);
    const int points = static_cast<int>(training.points.size());
    if (training.parallel > 0 && training.parallel < points)
      range += "%" + std::to_string(training.parallel);
    d.push_back({"array", range});
  }
  return d;
}

// Sets `point` (the overrides) and RUN_DIR for this array task.
void write_sweep_point(std::ostream& out, const TrainingJob& training) {
  out << "\n# Sweep: array task i runs point i with its overrides in its own run directory.\n"
      << "SWEEP_DIR=" << shell_quote(training.run_dir) << "\n"
      << "case \"${SLURM_ARRAY_TASK_ID:-}\" in\n";
  for (std::size_t i = 0; i < training.points.size(); ++i)
    out << "  " << i << ") point=(" << shell_words(training.points[i]) << ") ;;\n";
  out << "  *) echo \"galien: no sweep point '${SLURM_ARRAY_TASK_ID:-}'\"; exit 2 ;;\n"
      << "esac\n"
      << "RUN_DIR=\"$SWEEP_DIR/point-${SLURM_ARRAY_TASK_ID}\"\n";
}

// On every node for node-local scratch, else once from this shell.
std::string on_nodes(const Profile& profile, const std::string& command) {
  if (!profile.scratch_per_node) return command;
  return "srun --nodes=\"$SLURM_NNODES\" --ntasks=\"$SLURM_NNODES\" --ntasks-per-node=1 \\\n"
         "  bash -c " +
         shell_quote(command);
}

void write_staging(std::ostream& out, const Profile& profile, const TrainingJob& training) {
  out << "\n# launch.stage_shards: the ranks read the shards from the job's scratch"
      << (profile.scratch_per_node ? "\n# (node-local: copied on every node)" : "") << ".\n"
      << "export GALIEN_STAGE=\"" << profile.scratch << "/galien-shards\"\n"
      << on_nodes(profile, "mkdir -p \"$GALIEN_STAGE\" && cp -r " +
                               shell_quote(training.stage_from) + "/. \"$GALIEN_STAGE\"/")
      << " \\\n  || { echo \"galien: cannot copy the shards to $GALIEN_STAGE\"; exit 1; }\n"
      << "point+=(data.shard_dir=\"$GALIEN_STAGE\")\n";
}

// The step command: the launcher, then each task prints the GPUs it sees and becomes
// `galien train`.
std::string step_command(const Profile& profile, const JobResources& job) {
  std::vector<std::string> words = profile.launcher;
  if (uses_srun(profile)) {
    // srun no longer inherits --cpus-per-task from sbatch (Slurm >= 22.05).
    words.push_back("--cpus-per-task=" + std::to_string(job.cpus_per_task));
    if (!profile.gpu_bind.empty()) words.push_back("--gpu-bind=" + profile.gpu_bind);
  }
  std::string report = "echo \"galien: task ${SLURM_PROCID} on $(hostname -s)";
  if (job.gpus_per_node > 0)
    report += ": " + profile.gpu_visible_env + "=${" + profile.gpu_visible_env + "-unset}";
  report += "\"; exec \"$@\"";
  return shell_words(words) + " \\\n  bash -c " + shell_quote(report) +
         " galien-task \\\n  \"$GALIEN\" train \"$CONFIG\" \"${point[@]}\" "
         "trainer.run_dir=\"$RUN_DIR\" &\n";
}

void write_step(std::ostream& out, const Profile& profile, const JobResources& job,
                const TrainingJob& training) {
  const std::string forward = uses_srun(profile)
                                  ? "kill -USR1 \"$step\""  // srun passes it to every task
                                  : "scancel --signal=USR1 \"$SLURM_JOB_ID\"";  // every step
  out << "\n# Slurm sends USR1 to this shell " << training.signal_margin_s
      << " s before the time limit (launch.signal_margin_s), or on\n"
      << "# `scancel --signal=USR1 --batch JOB`: forward it to the training step. Every rank "
         "stops at\n# the next step, rank 0 writes a checkpoint and the step exits "
      << kTrainStoppedExitCode << ".\n"
      << "step=\n"
      << "forward_stop() {\n"
      << "  echo \"galien: stop signal at $(date -u +%FT%TZ); forwarding it to the training "
         "step\"\n"
      << "  if [ -n \"$step\" ]; then " << forward << " 2>/dev/null; fi\n"
      << "}\n"
      << "trap forward_stop USR1\n\n"
      << step_command(profile, job) << "step=$!\n"
      << "# A trapped signal ends `wait` early: wait again until the step has ended.\n"
      << "wait \"$step\"; code=$?\n"
      << "while kill -0 \"$step\" 2>/dev/null; do wait \"$step\"; code=$?; done\n"
      << "echo \"galien: training step exited with code $code at $(date -u +%FT%TZ)\"\n";
}

void write_requeue(std::ostream& out, const TrainingJob& training) {
  out << "\n# Stopped at a checkpoint: requeue this job; it restarts with the same RUN_DIR and "
         "resumes\n# from checkpoints/last.pt (trainer.resume: auto).\n"
      << "if [ \"$code\" -eq " << kTrainStoppedExitCode << " ]; then\n"
      << "  if [ \"${SLURM_RESTART_COUNT:-0}\" -ge " << training.max_restarts << " ]; then\n"
      << "    echo \"galien: not requeued: " << training.max_restarts
      << " restarts already (launch.max_restarts); resubmit to resume\"\n"
      << "    exit \"$code\"\n"
      << "  fi\n"
      << "  echo \"galien: training stopped at a checkpoint; requeueing job ${SLURM_JOB_ID}\"\n"
      << "  scontrol requeue \"$SLURM_JOB_ID\" && exit 0\n"
      << "  echo \"galien: scontrol requeue failed; resubmit this script to resume\"\n"
      << "  exit \"$code\"\n"
      << "fi\n";
}

// Each finished point rewrites the sweep's table under a lock; the last one leaves it complete.
void write_sweep_summary(std::ostream& out) {
  out << "\n# Each point that ends rewrites the sweep's table; the last one leaves it complete.\n"
      << "flock \"$SWEEP_DIR/.summary.lock\" \\\n"
         "  \"$GALIEN\" runs summarize \"$SWEEP_DIR\" --output \"$SWEEP_DIR/summary.md\" "
         ">/dev/null \\\n"
      << "  || echo \"galien: could not write $SWEEP_DIR/summary.md\"\n";
}

}  // namespace

std::string render_training_script(const Profile& profile, const JobResources& job,
                                   const TrainingJob& training) {
  std::ostringstream out;
  const bool sweep = !training.points.empty();
  write_header(out, sweep ? "sweep (job array)" : "training job", profile,
               training.run_dir + "/job.sh");
  out << format_directives(profile.scheduler, training_directives(profile, job, training));
  write_preamble(out, profile, job, training.files);
  if (sweep) {
    write_sweep_point(out, training);
  } else {
    out << "\nRUN_DIR=" << shell_quote(training.run_dir) << "\npoint=()\n";
  }
  if (!training.stage_from.empty()) write_staging(out, profile, training);
  write_step(out, profile, job, training);
  if (!training.stage_from.empty()) out << on_nodes(profile, "rm -rf \"$GALIEN_STAGE\"") << "\n";
  write_requeue(out, training);
  if (sweep) write_sweep_summary(out);
  out << "exit \"$code\"\n";
  return out.str();
}

}  // namespace galien::slurm
