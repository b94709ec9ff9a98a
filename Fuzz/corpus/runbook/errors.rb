runbook "errors" do
  if x
    puts "y"
  end
  step :a, after: [:b, :c], retries: 1.5 do
    fre_port 3002, grace: 10s
    run "x", env: {A: 1, A: 2} |x|
  end
  verify after: :a, within: "1m30s" {
    listening 3002, address: "::", process: "node"
    http "http://127.0.0.1:#{port.x.y}/", status: [200, "300-399"], json: {"data.status": "ok"}
  }
  rollback do
    start "ecosystem.config.js", name: app, cwd: "/srv"
  end
