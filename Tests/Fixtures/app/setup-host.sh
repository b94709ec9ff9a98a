#!/bin/sh
# Prepares one host for the sample app: the app in DIR, a supervisord of its own (run as USER), and
# the app under it on PORT. Usage: setup-host.sh DIR PORT USER [HOST_ADDRESS]
# Prints the supervisord pid. Everything lives in DIR, so removing DIR (after stopping the pid) undoes it.
set -e
dir=$1; port=$2; user=$3; bind=${4:-0.0.0.0}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/src" "$dir/logs"
cp "$here/server.py" "$here/build.sh" "$dir/"
[ -f "$dir/src/version" ] || echo 1.0.0 > "$dir/src/version"
printf 'PORT=%s\nHOST=%s\n' "$port" "$bind" > "$dir/.env.production"
cat > "$dir/supervisord.conf" <<CONF
[unix_http_server]
file=$dir/supervisor.sock

[supervisord]
logfile=$dir/logs/supervisord.log
pidfile=$dir/supervisord.pid
nodaemon=true
childlogdir=$dir/logs

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$dir/supervisor.sock

[program:shop]
command=python3 $dir/server.py
directory=$dir
autostart=true
autorestart=true
startsecs=1
startretries=100000
stopsignal=TERM
stopwaitsecs=5
stdout_logfile=$dir/logs/app.log
redirect_stderr=true
CONF
sh "$dir/build.sh" > /dev/null
chown -R "$user" "$dir"
