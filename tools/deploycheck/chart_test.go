package deploycheck

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join(repoRoot, "charts", "codex-review")

// settingsContract is every environment variable of design §4.3. The
// private key reaches the pod as a file, so GITHUB_PRIVATE_KEY_PATH stands
// for the GITHUB_PRIVATE_KEY / GITHUB_PRIVATE_KEY_PATH pair.
var settingsContract = []string{
	"CODEX_ADDR", "CODEX_DATABASE_URL", "GITHUB_APP_ID", "GITHUB_PRIVATE_KEY_PATH",
	"GITHUB_WEBHOOK_SECRET", "GITHUB_API_URL", "GITHUB_WEB_URL", "OPENAI_API_KEY",
	"OPENAI_BASE_URL", "CODEX_MODEL", "CODEX_MODEL_API", "CODEX_API_KEYS",
	"CODEX_TRIGGER", "CODEX_WORKERS", "CODEX_LOG_LEVEL", "OSV_API_URL", "CODEX_OSV_DIR",
}

// manifests is one rendering of the chart, decoded into API types.
type manifests struct {
	deployment      *appsv1.Deployment
	service         *corev1.Service
	secrets         map[string]*corev1.Secret
	serviceAccounts map[string]*corev1.ServiceAccount
	pvcs            map[string]*corev1.PersistentVolumeClaim
	ingress         *networkingv1.Ingress
	hpa             *autoscalingv2.HorizontalPodAutoscaler
	pdb             *policyv1.PodDisruptionBudget
	serviceMonitor  *monitoringv1.ServiceMonitor
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// render runs what `helm template` runs: the chart's schema check, its
// templates (including their fail calls), and no cluster.
func render(ch *chart.Chart, vals map[string]any) (string, error) {
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = "ci"
	install.Namespace = "review"
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}
	rel, err := install.Run(ch, vals)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

// decode splits the rendered documents and decodes each STRICTLY into its
// Kubernetes type: an unknown or misspelt field is an error, as it would
// be for `kubectl apply --validate=strict`.
func decode(manifest string) (*manifests, error) {
	m := &manifests{
		secrets:         map[string]*corev1.Secret{},
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		pvcs:            map[string]*corev1.PersistentVolumeClaim{},
	}
	r := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("split manifests: %w", err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("read kind: %w\n%s", err, doc)
		}
		if tm.Kind == "" {
			continue // only comments
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "apps/v1 Deployment":
			if m.deployment != nil {
				return nil, errors.New("two Deployments")
			}
			m.deployment = &appsv1.Deployment{}
			obj = m.deployment
		case "v1 Service":
			m.service = &corev1.Service{}
			obj = m.service
		case "v1 Secret":
			s := &corev1.Secret{}
			obj = s
			defer func() { m.secrets[s.Name] = s }()
		case "v1 ServiceAccount":
			sa := &corev1.ServiceAccount{}
			obj = sa
			defer func() { m.serviceAccounts[sa.Name] = sa }()
		case "v1 PersistentVolumeClaim":
			pvc := &corev1.PersistentVolumeClaim{}
			obj = pvc
			defer func() { m.pvcs[pvc.Name] = pvc }()
		case "networking.k8s.io/v1 Ingress":
			m.ingress = &networkingv1.Ingress{}
			obj = m.ingress
		case "autoscaling/v2 HorizontalPodAutoscaler":
			m.hpa = &autoscalingv2.HorizontalPodAutoscaler{}
			obj = m.hpa
		case "policy/v1 PodDisruptionBudget":
			m.pdb = &policyv1.PodDisruptionBudget{}
			obj = m.pdb
		case "monitoring.coreos.com/v1 ServiceMonitor":
			m.serviceMonitor = &monitoringv1.ServiceMonitor{}
			obj = m.serviceMonitor
		default:
			return nil, fmt.Errorf("unexpected %s %s: add it to the test", tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: %w\n%s", tm.Kind, err, doc)
		}
	}
	if m.deployment == nil || m.service == nil {
		return nil, errors.New("no Deployment or Service rendered")
	}
	return m, nil
}

func valuesFile(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "ci", name))
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{}
	if err := yaml.Unmarshal(b, &vals); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return vals
}

// TestChartRenders renders every values file in the chart's ci/ directory
// (what CI also feeds to helm lint and helm template) and checks the
// invariants a working deployment depends on.
func TestChartRenders(t *testing.T) {
	ch := loadChart(t)
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("%d values files in ci/, want at least 4", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			vals := valuesFile(t, name)
			out, err := render(ch, vals)
			if err != nil {
				t.Fatal(err)
			}
			m, err := decode(out)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, vals, m)
		})
	}
}

func checkInvariants(t *testing.T, vals map[string]any, m *manifests) {
	t.Helper()
	d := m.deployment
	pod := d.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]

	// Probes on the §4.4 routes, through the named port.
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe = %+v, want GET %s on port http", p.name, p.probe, p.path)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Fatalf("container ports = %+v", c.Ports)
	}

	// Non-root, read-only root, nothing to escalate to.
	psc, sc := pod.Spec.SecurityContext, c.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext = %+v, want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("container securityContext = %+v", sc)
	}
	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		t.Error("the pods mount a Kubernetes API token they never use")
	}
	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources = %+v, want memory requests and limits", c.Resources)
	}

	// /data and /tmp are writable volumes that exist.
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		if _, ok := volumes[vm.Name]; !ok {
			t.Errorf("mount %s uses the missing volume %s", vm.MountPath, vm.Name)
		}
		mounts[vm.MountPath] = vm
	}
	for _, dir := range []string{"/data", "/tmp"} {
		if vm, ok := mounts[dir]; !ok || vm.ReadOnly {
			t.Errorf("%s is not a writable mount (%+v)", dir, vm)
		}
	}

	// Environment: only §4.3 names (plus TMPDIR and the user's extraEnv),
	// and every reference to a Secret resolves.
	secretName := m.deploymentSecretName(t)
	existing, _ := dig(vals, "secrets", "existingSecret").(string)
	extra := map[string]bool{"TMPDIR": true}
	if xs, ok := vals["extraEnv"].([]any); ok {
		for _, x := range xs {
			extra[x.(map[string]any)["name"].(string)] = true
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("%s is set twice", e.Name)
		}
		env[e.Name] = e
		if !slices.Contains(settingsContract, e.Name) && !extra[e.Name] {
			t.Errorf("env %s is not a §4.3 setting", e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != secretName {
				t.Errorf("%s reads Secret %s, want %s", e.Name, ref.Name, secretName)
			}
			m.checkSecretKey(t, ref.Name, ref.Key, existing, ref.Optional != nil && *ref.Optional)
		}
	}
	if got := env["CODEX_ADDR"].Value; got != fmt.Sprintf(":%d", c.Ports[0].ContainerPort) {
		t.Errorf("CODEX_ADDR = %q, container port %d", got, c.Ports[0].ContainerPort)
	}
	for _, v := range pod.Spec.Volumes {
		if v.Secret == nil {
			continue
		}
		for _, item := range v.Secret.Items {
			m.checkSecretKey(t, v.Secret.SecretName, item.Key, existing, false)
		}
		if env["GITHUB_PRIVATE_KEY_PATH"].Value == "" {
			t.Error("the key volume is mounted but GITHUB_PRIVATE_KEY_PATH is not set")
		}
	}
	if p := env["GITHUB_PRIVATE_KEY_PATH"].Value; p != "" {
		dir, _ := filepath.Split(p)
		if vm, ok := mounts[strings.TrimSuffix(dir, "/")]; !ok || volumes[vm.Name].Secret == nil {
			t.Errorf("GITHUB_PRIVATE_KEY_PATH=%s is not on a Secret volume", p)
		}
	}
	if sa := pod.Spec.ServiceAccountName; m.serviceAccounts[sa] == nil {
		t.Errorf("serviceAccountName %s is not rendered", sa)
	}

	// The database: SQLite on the volume with one replica that is replaced,
	// not rolled; or Postgres from the Secret.
	dbEnv := env["CODEX_DATABASE_URL"]
	if dig(vals, "database", "type") == "postgres" {
		if dbEnv.ValueFrom == nil || dbEnv.ValueFrom.SecretKeyRef == nil {
			t.Errorf("CODEX_DATABASE_URL on Postgres = %+v, want it from the Secret", dbEnv)
		}
		if len(m.pvcs) != 0 {
			t.Errorf("a PVC is rendered on Postgres: %v", m.pvcs)
		}
	} else {
		if dbEnv.Value != "/data/codex-review.db" {
			t.Errorf("CODEX_DATABASE_URL on SQLite = %+v, want /data/codex-review.db", dbEnv)
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("SQLite deployment: replicas %v, strategy %s; want 1 and Recreate", d.Spec.Replicas, d.Spec.Strategy.Type)
		}
		claim := volumes["data"].PersistentVolumeClaim
		if claim == nil {
			t.Error("/data on SQLite is not a PersistentVolumeClaim")
		} else if m.pvcs[claim.ClaimName] == nil {
			t.Errorf("the claim %s is not rendered", claim.ClaimName)
		}
	}

	// The Service and everything pointing at it or at the pods agree.
	podLabels := pod.Labels
	if !matches(d.Spec.Selector, podLabels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, podLabels)
	}
	if !subset(m.service.Spec.Selector, podLabels) {
		t.Errorf("the Service's selector %v does not select the pods %v", m.service.Spec.Selector, podLabels)
	}
	if len(m.service.Spec.Ports) != 1 || m.service.Spec.Ports[0].Name != "http" || m.service.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service ports = %+v", m.service.Spec.Ports)
	}
	if ing := m.ingress; ing != nil {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				if b := p.Backend.Service; b == nil || b.Name != m.service.Name || b.Port.Name != "http" {
					t.Errorf("Ingress backend %+v, want Service %s port http", p.Backend, m.service.Name)
				}
			}
		}
	}
	if hpa := m.hpa; hpa != nil {
		if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name {
			t.Errorf("HPA scales %+v", ref)
		}
		if d.Spec.Replicas != nil {
			t.Error("the Deployment sets replicas although the HPA owns them")
		}
	}
	if pdb := m.pdb; pdb != nil && !matches(pdb.Spec.Selector, podLabels) {
		t.Errorf("the PDB's selector %v does not select the pods", pdb.Spec.Selector)
	}
	if sm := m.serviceMonitor; sm != nil {
		if !subset(sm.Spec.Selector.MatchLabels, m.service.Labels) {
			t.Errorf("the ServiceMonitor's selector %v does not select the Service %v", sm.Spec.Selector.MatchLabels, m.service.Labels)
		}
		if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoints = %+v", sm.Spec.Endpoints)
		}
	}
}

// deploymentSecretName is the Secret the pods read: the chart's when it
// renders one, otherwise the existing one the values name.
func (m *manifests) deploymentSecretName(t *testing.T) string {
	t.Helper()
	if len(m.secrets) > 1 {
		t.Errorf("%d Secrets rendered", len(m.secrets))
	}
	for name := range m.secrets {
		return name
	}
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	for _, e := range m.deployment.Spec.Template.Spec.Containers[0].Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name
		}
	}
	return ""
}

// checkSecretKey fails when a required reference points at a Secret or key
// that will not exist: the pod would never start.
func (m *manifests) checkSecretKey(t *testing.T, name, key, existing string, optional bool) {
	t.Helper()
	if name == existing && existing != "" {
		if len(m.secrets) != 0 {
			t.Errorf("a Secret is rendered although %s exists", existing)
		}
		return // the user's Secret; its keys are documented in values.yaml
	}
	s := m.secrets[name]
	if s == nil {
		t.Errorf("Secret %s is referenced but not rendered", name)
		return
	}
	if _, ok := s.Data[key]; !ok && !optional {
		t.Errorf("Secret %s has no key %s", name, key)
	}
}

func matches(sel *metav1.LabelSelector, labels map[string]string) bool {
	return sel != nil && len(sel.MatchExpressions) == 0 && len(sel.MatchLabels) > 0 && subset(sel.MatchLabels, labels)
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// TestChartSetsEverySetting checks that every §4.3 setting can be set
// through values: the full values file sets them all.
func TestChartSetsEverySetting(t *testing.T) {
	out, err := render(loadChart(t), valuesFile(t, "full-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, e := range m.deployment.Spec.Template.Spec.Containers[0].Env {
		set[e.Name] = true
	}
	for _, name := range settingsContract {
		if !set[name] {
			t.Errorf("%s is not set by full-values.yaml", name)
		}
	}
}

// TestChartSecretData checks the chart's Secret carries exactly the
// values given, base64 only in transit.
func TestChartSecretData(t *testing.T) {
	vals := valuesFile(t, "postgres-values.yaml")
	out, err := render(loadChart(t), vals)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	s := m.secrets["ci-codex-review"]
	if s == nil {
		t.Fatalf("no Secret ci-codex-review in %v", m.secrets)
	}
	want := map[string]string{
		"github-private-key.pem": dig(vals, "secrets", "githubPrivateKey").(string),
		"GITHUB_WEBHOOK_SECRET":  dig(vals, "secrets", "githubWebhookSecret").(string),
		"OPENAI_API_KEY":         dig(vals, "secrets", "openaiApiKey").(string),
		"CODEX_API_KEYS":         dig(vals, "secrets", "apiKeys").(string),
		"CODEX_DATABASE_URL":     dig(vals, "secrets", "databaseUrl").(string),
	}
	if len(s.Data) != len(want) {
		t.Errorf("Secret keys = %v", keys(s.Data))
	}
	for k, v := range want {
		if string(s.Data[k]) != v {
			t.Errorf("Secret %s = %q, want %q", k, s.Data[k], v)
		}
	}
	if _, ok := m.deployment.Spec.Template.Annotations["checksum/secret"]; !ok {
		t.Error("the pods do not restart when the chart's Secret changes")
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestChartRefuses checks the values the chart must not deploy: the schema
// and the templates' fail calls both stop `helm install`.
func TestChartRefuses(t *testing.T) {
	ch := loadChart(t)
	tests := []struct {
		name string
		vals string
		want string // part of the error
	}{
		{"several replicas on SQLite", "replicaCount: 2", "SQLite serves one replica only"},
		{"autoscaling on SQLite", "autoscaling: {enabled: true}", "autoscaling.enabled needs database.type=postgres"},
		{"Postgres without a URL", "database: {type: postgres}\nreplicaCount: 2", "secrets.databaseUrl is empty"},
		{"Postgres URL that is not one", "database: {type: postgres}\nsecrets: {databaseUrl: /data/x.db}", "databaseUrl"},
		{"unknown value", "replicas: 2", "additional properties 'replicas' not allowed"},
		{"misspelt nested value", "config: {githubApiURL: https://ghe.example.com/api/v3/}", "githubApiURL"},
		{"wrong type", "replicaCount: two", "replicaCount"},
		{"unknown model API", "config: {modelApi: completions}", "modelApi"},
		{"trigger without @", "config: {trigger: codex}", "trigger"},
		{"workers out of range", "config: {workers: 0}", "workers"},
		{"not a PEM key", "secrets: {githubPrivateKey: hunter2}", "githubPrivateKey"},
		{"HPA bounds reversed", "database: {type: postgres}\nsecrets: {databaseUrl: 'postgres://h/db'}\nautoscaling: {enabled: true, minReplicas: 4, maxReplicas: 2}", "minReplicas is larger"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{}
			if err := yaml.Unmarshal([]byte(tc.vals), &vals); err != nil {
				t.Fatal(err)
			}
			_, err := render(ch, vals)
			if err == nil {
				t.Fatalf("rendered %q", tc.vals)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestStrictDecodingCatchesTypos proves the decoder is strict: a field
// Kubernetes does not know fails here instead of being dropped on apply.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 1\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n"
	if _, err := decode(doc); err == nil || !strings.Contains(err.Error(), "replica") {
		t.Errorf("decode of a misspelt field: %v", err)
	}
}
