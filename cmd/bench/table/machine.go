package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// probeScript prints, as JSON, the versions of the modules the Python
// side needs ("" for one that does not import) and the BLAS that numpy
// uses. It only imports: it installs nothing.
const probeScript = `
import json, platform, sys
out = {"executable": sys.executable, "python": platform.python_version()}
for name in ("numpy", "scipy", "sklearn", "pandas", "pyarrow"):
    try:
        out[name] = __import__(name).__version__
    except Exception:
        out[name] = ""
try:
    import threadpoolctl
    out["blas"] = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
except Exception:
    pass
print(json.dumps(out))
`

// thisMachine describes the computer this runs on, from /proc where
// Linux has it; what it cannot find stays empty.
func thisMachine() Machine {
	m := Machine{
		Cores:     runtime.NumCPU(),
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		GoVersion: runtime.Version(),
		LoadStart: loadAverage(),
	}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.MemBytes = kb * 1024
		}
	}
	return m
}

// procField is the value of the first "name: value" line of a /proc file.
func procField(path, name string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), ":")
		if found && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// loadAverage is the one-minute load average, or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// sourceCommit is the commit of the checkout this runs in, "-dirty" when
// it has changes, or "" outside a Git checkout.
func sourceCommit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
