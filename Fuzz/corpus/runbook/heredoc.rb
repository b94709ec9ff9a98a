runbook "heredoc" do
  param :dir, type: :path, default: "/srv/app"
  param :token, secret: true, required: true
  step :script do
    run <<~SH, cwd: dir, env: { TOKEN: token, MODE: "a\tb" }
      set -e
      echo "#{dir}" \
        continued
      printf '%s\n' "$TOKEN" | wc -c
    SH
    run <<~'RAW'
      literal #{not} \d
    RAW
  end
end
