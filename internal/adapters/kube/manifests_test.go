package kube

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// The manifests decode as Kubernetes objects, and the RBAC grants only what the actuator and the
// election use: get and update on named scale subresources, and the Lease.
func TestManifestsAreValidAndGrantTheLeastPrivilege(t *testing.T) {
	var objects []any
	for _, path := range []string{"../../../deploy/rbac.yaml", "../../../deploy/deployment.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			objects = append(objects, obj)
		}
	}
	roles, deployments := 0, 0
	for _, o := range objects {
		switch v := o.(type) {
		case *rbacv1.Role:
			roles++
			for _, rule := range v.Rules {
				for _, res := range rule.Resources {
					switch res {
					case "deployments/scale", "statefulsets/scale":
						if len(rule.ResourceNames) == 0 || !onlyVerbs(rule.Verbs, "get", "update") {
							t.Errorf("role %s: %s without resourceNames or with verbs %v", v.Name, res, rule.Verbs)
						}
					case "leases":
						if !onlyVerbs(rule.Verbs, "get", "update", "create") {
							t.Errorf("role %s: leases with %v", v.Name, rule.Verbs)
						}
					default:
						t.Errorf("role %s grants %s", v.Name, res)
					}
				}
			}
		case *rbacv1.ClusterRole:
			t.Errorf("a ClusterRole %s: headroom needs none", v.Name)
		case *appsv1.Deployment:
			deployments++
			if v.Spec.Template.Spec.ServiceAccountName != "headroom" {
				t.Errorf("deployment runs as %q", v.Spec.Template.Spec.ServiceAccountName)
			}
		}
	}
	if roles != 2 || deployments != 1 {
		t.Errorf("%d roles, %d deployments", roles, deployments)
	}
}

func onlyVerbs(verbs []string, allowed ...string) bool {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, v := range verbs {
		if !ok[v] {
			return false
		}
	}
	return len(verbs) > 0
}
