//go:build kubeapiserver

// The test against a real Kubernetes API server. It needs kube-apiserver and etcd built by
// scripts/kube-apiserver.sh, which runs it: go test -tags kubeapiserver ./internal/adapters/kube.

package kube

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/headroom-oss/headroom/internal/testkit/promtest"
)

func start(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	log, _ := os.Create(filepath.Join(t.TempDir(), filepath.Base(name)+".log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("%s log (tail):\n%s", name, tail(string(b), 3000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// headroom scales a Deployment of a real API server through the scale subresource, with exactly
// the permissions deploy/rbac.yaml grants: get and update on deployments/scale of the named
// Deployment, and nothing on the Deployment itself.
func TestRealAPIServerScalesADeployment(t *testing.T) {
	cache := os.Getenv("HEADROOM_KUBE_CACHE")
	if cache == "" {
		t.Fatal("HEADROOM_KUBE_CACHE is unset: run scripts/kube-apiserver.sh")
	}
	dir := t.TempDir()
	etcdClient, etcdPeer := promtest.FreeLoopbackPort(t), promtest.FreeLoopbackPort(t)
	start(t, filepath.Join(cache, "etcd"), "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", "http://"+etcdClient, "--advertise-client-urls", "http://"+etcdClient,
		"--listen-peer-urls", "http://"+etcdPeer, "--initial-advertise-peer-urls", "http://"+etcdPeer,
		"--initial-cluster", "default=http://"+etcdPeer)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	keyFile := filepath.Join(dir, "sa.key")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	tokens := filepath.Join(dir, "tokens.csv")
	os.WriteFile(tokens, []byte("admin-token,admin,1,system:masters\nheadroom-token,headroom,2\n"), 0o600)
	api := promtest.FreeLoopbackPort(t)
	_, port, _ := net.SplitHostPort(api)
	start(t, filepath.Join(cache, "kube-apiserver"), "--etcd-servers", "http://"+etcdClient,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", port,
		"--cert-dir", filepath.Join(dir, "certs"), "--token-auth-file", tokens, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", keyFile,
		"--service-account-signing-key-file", keyFile, "--service-cluster-ip-range", "10.0.0.0/24",
		"--endpoint-reconciler-type", "none", "--disable-admission-plugins", "ServiceAccount")
	cfg := func(token string) *rest.Config {
		return &rest.Config{Host: "https://" + api, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	}
	admin, err := dynamic.NewForConfig(cfg("admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	waitReady(t, ctx, "https://"+api)

	create := func(gvr schema.GroupVersionResource, ns string, obj map[string]any) {
		t.Helper()
		u := &unstructured.Unstructured{Object: obj}
		var err error
		for i := 0; i < 30; i++ { // the API server may still be installing its types
			r := admin.Resource(gvr)
			if ns != "" {
				_, err = r.Namespace(ns).Create(ctx, u, metav1.CreateOptions{})
			} else {
				_, err = r.Create(ctx, u, metav1.CreateOptions{})
			}
			if err == nil {
				return
			}
			time.Sleep(time.Second)
		}
		t.Fatalf("create %s: %v", gvr.Resource, err)
	}
	create(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "llm"}})
	create(deployments, "llm", map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "vllm", "namespace": "llm"},
		"spec": map[string]any{"replicas": int64(2),
			"selector": map[string]any{"matchLabels": map[string]any{"app": "vllm"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "vllm"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "vllm", "image": "vllm/vllm-openai"}}}}}})
	// deploy/rbac.yaml's scaler Role, bound to the headroom user the token file names.
	role := rbacRole(t)
	create(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, "llm", role)
	create(schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, "llm", map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": map[string]any{"name": "headroom-scaler", "namespace": "llm"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "headroom-scaler"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "headroom"}}})

	headroom, err := dynamic.NewForConfig(cfg("headroom-token"))
	if err != nil {
		t.Fatal(err)
	}
	act := New(headroom, false)
	target := Target{Namespace: "llm", Kind: "Deployment", Name: "vllm"}
	var from int
	for i := 0; i < 20; i++ { // RBAC caches take a moment to see the new binding
		if from, err = act.Scale(ctx, target, 5); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil || from != 2 {
		t.Fatalf("scale: from %d, %v", from, err)
	}
	d, err := admin.Resource(deployments).Namespace("llm").Get(ctx, "vllm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); n != 5 {
		t.Errorf("the Deployment has %d replicas, want 5", n)
	}
	// The Role gives the scale subresource only: the Deployment itself stays out of reach.
	if _, err := headroom.Resource(deployments).Namespace("llm").Get(ctx, "vllm", metav1.GetOptions{}); err == nil {
		t.Error("headroom could read the Deployment itself")
	}
	if _, err := act.Scale(ctx, Target{Namespace: "llm", Kind: "Deployment", Name: "other"}, 1); err == nil {
		t.Error("headroom could scale a Deployment its Role does not name")
	}
	t.Logf("scaled Deployment llm/vllm from %d to 5 replicas through the scale subresource of a real API server", from)
}

func rbacRole(t *testing.T) map[string]any {
	data, err := os.ReadFile("../../../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range splitDocs(string(data)) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj["kind"] == "Role" && obj["metadata"].(map[string]any)["name"] == "headroom-scaler" {
			return obj
		}
	}
	t.Fatal("deploy/rbac.yaml holds no headroom-scaler Role")
	return nil
}

func splitDocs(s string) []string {
	var out []string
	cur := ""
	for _, line := range splitLines(s) {
		if line == "---" {
			out, cur = append(out, cur), ""
			continue
		}
		cur += line + "\n"
	}
	return append(out, cur)
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func waitReady(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer admin-token")
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the API server was not ready: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }
