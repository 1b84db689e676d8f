# outputs_lib.sh: the fixtures and the list of writing commands that test_outputs_lock.sh and
# test_outputs_full.sh share. Source it after lib.sh, with $snforge and $src set and the scratch folder current.
#   outputs_fixtures   sa.ini, sa.h5 and model.h5: the shared campaign (256 semi-analytic models) and model (a tiny
#                      Gaussian-head InceptionTime with mask channels) of tests/fixtures.sh (lib.sh snf_fixture);
#                      hydro.h5 (the 4 bundled SNEC runs on sa.h5's grid), train.ini (train's own tiny Gaussian LITE
#                      model on sa.h5, for the train writer), cur.ini, search.ini, obs.csv,
#                      catalogue.csv, hydro.par (one day of a shared SNEC model: adds `hydro` to the writers)
#   writers            the writing commands, one name each
#   write_cmd NAME OUT runs writing command NAME with its output at OUT (a file, a folder, or for progenitor a
#                      prefix), quickly; its exit status; output on stdout/stderr
#   out_paths NAME OUT the paths NAME's output at OUT consists of (progenitor: OUT.short and OUT.iso.dat)
#   out_lock NAME OUT  the lock file a run holds while writing it (progenitor: its first file's)

outputs_fixtures() {
  snf_fixture campaign.ini sa.ini
  snf_fixture campaign.h5 sa.h5
  snf_fixture model.h5 model.h5
  "$snforge" import --format snec --index "$src/validation/data/snec/index.csv" --like sa.h5 -o hydro.h5 \
    > /dev/null 2>&1 || fail "fixture: import"
  printf '[data]\nfile = sa.h5\nchannels = both\nmask = yes\nlength = 32\nt_start = 1\nt_end = 300\n[train]\nseed = 1\nepochs = 2\nbatch = 32\n[model]\narch = lite\nfilters = 8\nkernel = 16\nhead = gaussian\n[output]\nmodel = model.h5\n' > train.ini
  printf '[data]\nsa = sa.h5\nhydro = hydro.h5\nlength = 32\nsa_max_rows = 128\n[split]\nfolds = 3\nseed = 1\n[model]\narch = lite\nfilters = 4\nkernel = 8\n[stage1]\nepochs = 2\nbatch = 32\n[stage2]\nepochs = 2\nbatch = 4\n' > cur.ini
  printf '[search]\nbase = cur.ini\nmode = grid\n[vary]\nstage2.lr = 1e-4\n' > search.ini
  cp "$src/validation/data/sn1987a/sn1987a_obs.csv" obs.csv
  printf 'name,path\nSN 1987A,obs.csv\n' > catalogue.csv
  # `snforge hydro` on a shared SNEC model, one day at 40 zones (seconds), where ../shared is there
  local m=${shared:-}/hydro/snec/m000
  if [ -r "$m/parameters" ]; then
    sed -e "s|\"bsg.short\"|\"$m/bsg.short\"|" -e "s|\"bsg.iso.dat\"|\"$m/bsg.iso.dat\"|" \
        -e 's/^tend .*/tend = 86400.0/' "$m/parameters" > hydro.par
    writers="$writers hydro"
  fi
}

writers="grid import train finetune curriculum search fit keypoints explain evaluate compare simulate predict progenitor"

write_cmd() { # write_cmd NAME OUT
  local name=$1 out=$2
  case $name in
    grid) "$snforge" grid "$PWD/sa.ini" -o "$out" -q --threads 1 ;;
    import) "$snforge" import --format snec --index "$src/validation/data/snec/index.csv" --like "$PWD/sa.h5" -o "$out" ;;
    train) sed "s#^model = model.h5#model = $out#" train.ini > "train_$name.ini" && "$snforge" train "train_$name.ini" -q --threads 1 ;;
    finetune) "$snforge" finetune model.h5 hydro.h5 -o "$out" --epochs 1 --val 0.25 --batch 4 -q --threads 1 ;;
    curriculum) "$snforge" curriculum cur.ini -o "$out" --threads 1 --no-plot ;;
    search) "$snforge" search search.ini -o "$out" --threads 1 ;;
    fit) "$snforge" fit obs.csv -o "$out" --walkers 14 --steps 12 --burn 4 --no-plot -q ;;
    keypoints) "$snforge" keypoints obs.csv -o "$out" ;;
    explain) "$snforge" explain model.h5 sa.h5 -o "$out" --rows 2 --steps 4 --no-plot ;;
    evaluate) "$snforge" evaluate model.h5 sa.h5 -o "$out" --no-plot ;;
    compare) "$snforge" compare hydro.h5 -o "$out" ;;
    simulate) "$snforge" simulate -o "$out" ;;
    predict) "$snforge" predict model.h5 --catalogue catalogue.csv -o "$out" ;;
    hydro) "$snforge" hydro "$PWD/hydro.par" --zones 40 -o "$out" ;;
    progenitor) "$snforge" progenitor --mass 15 --radius 3e12 -o "$out" ;;
    *) echo "write_cmd: unknown command $name"; return 99 ;;
  esac
}

out_paths() { # out_paths NAME OUT
  case $1 in progenitor) echo "$2.short $2.iso.dat" ;; *) echo "$2" ;; esac
}

out_lock() { # out_lock NAME OUT
  case $1 in progenitor) echo "$2.short.lock" ;; *) echo "$2.lock" ;; esac
}
