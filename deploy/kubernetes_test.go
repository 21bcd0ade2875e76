package deploy

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/config"
)

// Kubernetes objects, as far as the test reads them.
type (
	k8sObject struct {
		Kind     string            `yaml:"kind"`
		Metadata k8sMeta           `yaml:"metadata"`
		Data     map[string]string `yaml:"data"`
		Spec     struct {
			Template struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
			VolumeClaimTemplates []struct {
				Metadata k8sMeta `yaml:"metadata"`
			} `yaml:"volumeClaimTemplates"`
		} `yaml:"spec"`
		StringData map[string]string `yaml:"stringData"`
	}
	k8sMeta struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	}
	podSpec struct {
		SecurityContext *struct {
			RunAsUser  *int64 `yaml:"runAsUser"`
			RunAsGroup *int64 `yaml:"runAsGroup"`
			FSGroup    *int64 `yaml:"fsGroup"`
		} `yaml:"securityContext"`
		InitContainers []container `yaml:"initContainers"`
		Containers     []container `yaml:"containers"`
		Volumes        []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			Secret *struct {
				SecretName  string `yaml:"secretName"`
				DefaultMode *int   `yaml:"defaultMode"`
				Items       []struct {
					Key  string `yaml:"key"`
					Path string `yaml:"path"`
				} `yaml:"items"`
			} `yaml:"secret"`
			EmptyDir map[string]any `yaml:"emptyDir"`
		} `yaml:"volumes"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		EnvFrom []map[string]any `yaml:"envFrom"`
		Mounts  []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
		} `yaml:"volumeMounts"`
	}
)

func decodeAll(t *testing.T, name string, data []byte) []k8sObject {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []k8sObject
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.Kind != "" {
			out = append(out, o)
		}
	}
}

// imageUser is the user and group the counternet image runs as
// (compose/Dockerfile, checked by TestImages).
const imageUser = 10001

var reEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// TestKubernetesKustomize renders deploy/kubernetes with kubectl kustomize as
// `kubectl apply -k` would, and checks what the pods need to start: no
// package installs at start, the evidence volume writable by the image's
// user, secrets reaching counternet in the form it reads them (variables
// by their names, the NATS credentials as a file), and each role's config
// loading strictly with the pod's environment, the loader's naming the
// ClickHouse cluster the manifests define.
func TestKubernetesKustomize(t *testing.T) {
	kubectl := tool(t, "kubectl", "kubernetes-client")
	start := time.Now()
	out, err := run(t, 2*time.Minute, nil, ".", kubectl, "kustomize", "kubernetes")
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, out)
	}
	t.Logf("kubectl kustomize: %s", time.Since(start).Round(time.Millisecond))
	objs := decodeAll(t, "kustomize output", []byte(out))
	secretData := decodeAll(t, "secrets.example.yaml", mustRead(t, "kubernetes/secrets.example.yaml"))[0].StringData
	configMaps := map[string]map[string]string{}
	for _, o := range objs {
		if o.Metadata.Namespace != "counternet" && o.Kind != "Namespace" {
			t.Errorf("%s %s is outside namespace counternet", o.Kind, o.Metadata.Name)
		}
		if o.Kind == "ConfigMap" {
			configMaps[o.Metadata.Name] = o.Data
		}
	}
	cluster, shards, replicas := clickhouseCluster(t, configMaps["clickhouse-config"]["cluster.xml"])
	roles := 0
	for _, o := range objs {
		if o.Kind != "StatefulSet" && o.Kind != "Deployment" {
			continue
		}
		pod := o.Spec.Template.Spec
		for _, c := range pod.Containers {
			if cmd := strings.Join(append(c.Command, c.Args...), " "); strings.Contains(cmd, "apt-get") {
				t.Errorf("%s/%s installs packages at every start: %s", o.Metadata.Name, c.Name, cmd)
			}
		}
		if !strings.HasPrefix(o.Metadata.Name, "counternet-") {
			continue
		}
		sc := pod.SecurityContext
		if sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != imageUser || sc.FSGroup == nil || *sc.FSGroup != imageUser {
			t.Errorf("%s: pod securityContext must run as %d with fsGroup %d, so that its data volume is writable", o.Metadata.Name, imageUser, imageUser)
		}
		for _, c := range pod.Containers {
			if c.Name != "counternet" {
				continue
			}
			roles++
			checkCounternetContainer(t, o.Metadata.Name, pod, c, configMaps, secretData, cluster, shards*replicas > 1)
		}
	}
	if roles != 2 {
		t.Errorf("found %d counternet containers, want the collector's and the loader's", roles)
	}
}

func checkCounternetContainer(t *testing.T, name string, pod podSpec, c container, configMaps map[string]map[string]string,
	secretData map[string]string, cluster string, clustered bool) {
	t.Helper()
	for _, ef := range c.EnvFrom {
		if ref, ok := ef["secretRef"].(map[string]any); ok {
			for key := range secretData {
				if !reEnvName.MatchString(key) {
					t.Errorf("%s: envFrom %v turns the Secret's %s into an environment variable; counternet reads it as a file", name, ref["name"], key)
				}
			}
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			v, ok := secretData[e.ValueFrom.SecretKeyRef.Key]
			if !ok {
				t.Errorf("%s: env %s names Secret key %s, which secrets.example.yaml lacks", name, e.Name, e.ValueFrom.SecretKeyRef.Key)
			}
			env[e.Name] = v
		default:
			env[e.Name] = e.Value
		}
	}
	// Which file of which volume is mounted where.
	files, cfgPath := podFiles(pod, c)
	copied := copiedSecrets(pod)
	args := strings.Join(c.Args, " ")
	if cfgPath == "" || !strings.Contains(args, "--config "+cfgPath) {
		t.Errorf("%s: runs %q, which names no mounted config", name, args)
		return
	}
	src := strings.Split(files[cfgPath], ":")
	data := configMaps[src[1]][src[2]]
	if data == "" {
		t.Errorf("%s: ConfigMap %s has no %s", name, src[1], src[2])
		return
	}
	cfg, err := config.Parse(name+":"+cfgPath, []byte(data), config.WithLookupEnv(lookup(env)))
	if err != nil {
		t.Errorf("%s does not load as a counternet config with the pod's environment:\n%v", cfgPath, err)
		return
	}
	for setting, file := range map[string]string{"nats.credentials": cfg.NATS.Credentials, "run.metrics_token_file": cfg.Run.MetricsTokenFile} {
		if file == "" {
			continue
		}
		switch src := files[file]; {
		case strings.HasPrefix(src, "secret-open:"):
			t.Errorf("%s: %s %s is a Secret volume's file of a mode its group or others may read (%s): counternet refuses it; copy it 0600 first",
				name, setting, file, src)
		case strings.HasPrefix(src, "emptydir:") && strings.HasPrefix(copied[file], "secret:"):
		case strings.HasPrefix(src, "secret:"):
		default:
			t.Errorf("%s: %s %s is not a file from a Secret, copied 0600 (mounted: %q)", name, setting, file, src)
		}
	}
	if clustered && cfg.Run.MetricsAddr != "" && cfg.Run.MetricsTokenFile == "" {
		t.Errorf("%s: metrics on %s, reachable from the pod network, without run.metrics_token_file", name, cfg.Run.MetricsAddr)
	}
	for _, r := range cfg.Run.Roles {
		if r != "load" {
			continue
		}
		if cfg.ClickHouse.Managed() {
			t.Errorf("%s: the loader would start a clickhouse-server of its own", name)
		}
		if clustered && cfg.ClickHouse.Cluster != cluster {
			t.Errorf("%s: clickhouse.cluster %q, but clickhouse.yaml runs cluster %q: the schema would be created on one node only",
				name, cfg.ClickHouse.Cluster, cluster)
		}
	}
}

// podFiles says which file of which volume container c sees where
// ("configmap:<name>:<key>", "secret:<name>:<key>" for a Secret file only
// its owner may read, "secret-open:<mode>:<name>:<key>" for one its group
// or others may read, "emptydir:<volume>" for an emptyDir's mount point and
// the files in it), and where its counternet config is mounted.
func podFiles(pod podSpec, c container) (map[string]string, string) {
	files := map[string]string{}
	var cfgPath string
	for _, m := range c.Mounts {
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			switch {
			case v.ConfigMap != nil && m.SubPath != "":
				files[m.MountPath] = "configmap:" + v.ConfigMap.Name + ":" + m.SubPath
				if strings.HasPrefix(m.MountPath, "/etc/counternet/") {
					cfgPath = m.MountPath
				}
			case v.Secret != nil:
				mode := 0o644 // Kubernetes' default
				if v.Secret.DefaultMode != nil {
					mode = *v.Secret.DefaultMode
				}
				for _, it := range v.Secret.Items {
					src := "secret:" + v.Secret.SecretName + ":" + it.Key
					if mode&0o077 != 0 {
						src = fmt.Sprintf("secret-open:%04o:%s:%s", mode, v.Secret.SecretName, it.Key)
					}
					files[path.Join(m.MountPath, it.Path)] = src
				}
			case v.EmptyDir != nil:
				files[m.MountPath] = "emptydir:" + v.Name
			}
		}
	}
	// A file inside an emptyDir is the emptyDir's.
	for _, m := range c.Mounts {
		if src := files[m.MountPath]; strings.HasPrefix(src, "emptydir:") {
			for _, ic := range pod.InitContainers {
				for _, f := range installTargets(ic) {
					if path.Dir(f) == m.MountPath {
						files[f] = src
					}
				}
			}
		}
	}
	return files, cfgPath
}

// installTargets are the files an init container running
// "install -m 0600 -t DIR FILE..." writes (none for any other command).
func installTargets(ic container) []string {
	cmd := ic.Command
	if len(cmd) < 6 || path.Base(cmd[0]) != "install" || cmd[1] != "-m" || cmd[2] != "0600" || cmd[3] != "-t" {
		return nil
	}
	var out []string
	for _, src := range cmd[5:] {
		out = append(out, path.Join(cmd[4], path.Base(src)))
	}
	return out
}

// copiedSecrets maps each file the init containers copy with mode 0600
// (install -m 0600 -t DIR) to the Secret file it was copied from, as the
// init container sees it ("secret:..." or "secret-open:...").
func copiedSecrets(pod podSpec) map[string]string {
	out := map[string]string{}
	for _, ic := range pod.InitContainers {
		targets := installTargets(ic)
		if targets == nil {
			continue
		}
		seen, _ := podFiles(pod, ic)
		for i, src := range ic.Command[5:] {
			from := seen[src]
			if strings.HasPrefix(from, "secret-open:") {
				// The copy, mode 0600, is what counternet reads.
				parts := strings.SplitN(from, ":", 3)
				from = "secret:" + parts[2]
			}
			out[targets[i]] = from
		}
	}
	return out
}

// clickhouseCluster reads the cluster of clickhouse.yaml's remote_servers.
func clickhouseCluster(t *testing.T, clusterXML string) (name string, shards, replicas int) {
	t.Helper()
	var doc struct {
		RemoteServers struct {
			Clusters []struct {
				XMLName xml.Name
				Shards  []struct {
					Replicas []struct{} `xml:"replica"`
				} `xml:"shard"`
			} `xml:",any"`
		} `xml:"remote_servers"`
	}
	if err := xml.Unmarshal([]byte(clusterXML), &doc); err != nil || len(doc.RemoteServers.Clusters) != 1 {
		t.Fatalf("clickhouse-config cluster.xml: want one cluster under remote_servers (%v)", err)
	}
	c := doc.RemoteServers.Clusters[0]
	if len(c.Shards) > 0 {
		replicas = len(c.Shards[0].Replicas)
	}
	return c.XMLName.Local, len(c.Shards), replicas
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
