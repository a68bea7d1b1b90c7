# Shared by the bench/run_*.sh scripts (sourced, not run): the Python packages the peers need,
# waiting for a quiet machine, and the image shards the data-path benchmarks read. Each script
# defines log() and load1() before sourcing this file.

# Installs the Debian packages given that are missing (idempotent).
bench_install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Waits until the 1-minute load average is below MAX_LOAD, at most WAIT_MIN minutes; measures
# anyway after that (every report records the load of its run).
wait_for_quiet_machine() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if [ "$waited" -ge "$WAIT_MIN" ]; then
      log "load average still $(load1) after $WAIT_MIN min: measuring anyway (the docs record it)"
      break
    fi
    log "1-minute load average $(load1) >= $MAX_LOAD: waiting ($waited/$WAIT_MIN min)"
    sleep 60
    waited=$((waited + 1))
  done
}

# shard_read_variants GALIEN KEY WORK N_IMAGES: N synthetic 64x64 images sharded three ways
# (plain, gzip, encrypted; 4 shards each) under WORK/shards/read-*; sets read_specs to the
# "variant=DIR" arguments of bench_image_read and read_torch.py.
shard_read_variants() {
  local galien=$1 key=$2 work=$3 n=$4 variant
  "$py" bench/make_images_npz.py "$work/data/images-read.npz" --train "$n" --val 64 --test 64 --seed 2
  read_specs=()
  for variant in plain gzip encrypted; do
    local extra=()
    case $variant in
      gzip) extra=(data.images.gzip=1) ;;
      encrypted) extra=(privacy.encrypt=true) ;;
    esac
    "$galien" shard bench/configs/images-resnet.yaml --overwrite data.shards=4 \
      "data.shard_dir=$work/shards/read-$variant" "data.images.path=$work/data/images-read.npz" \
      "privacy.key_file=$key" "${extra[@]}" >/dev/null
    read_specs+=("$variant=$work/shards/read-$variant")
  done
}
