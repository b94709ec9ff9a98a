runbook "fleet"; description 'a \'quoted\' one'
rollout serial: "25%", canary: 1, max_fail: 0, pause: "10s", rollback: :fleet
lock "deploy", wait: "30s"
supervisor :systemd
step(:one, on: "web*:!web3", timeout: "5m") { stop "app"; free_port 80, signal: :TERM }
step :two, after: :one do
  upload "files/app.conf", to: "/etc/app.conf", mode: "0644"
  symlink "/srv/current", to: "/srv/releases/#{release}"
  clean_cache "/srv/app/.next"
  wait_for http: "http://localhost/", status: 200, timeout: "30s"
  save
end
verify after: :two do
  restarts "app", max: 4, over: "30s"
  not_listening 8080
  command "true", exit: 0, contains: "x"
  file "/srv/current", exists: true
end
