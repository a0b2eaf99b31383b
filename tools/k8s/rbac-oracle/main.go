// rbac-oracle answers authorization questions with Kubernetes' own RBAC authorizer
// (k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac) over a given world of Roles,
// ClusterRoles and bindings. It is the reference the analyzer
// kaze_policy/analysis/rbac.py is tested against (tests/analysis/test_rbac_oracle.py).
//
// The world is set up as a cluster holds it once the manifests are applied and the API
// server has (re)started:
//  1. the world's objects are stored (a fake clientset stands in for etcd);
//  2. the API server's RBAC post-start hook reconciles the bootstrap roles and bindings
//     (ClusterRoles, ControllerRoles, NamespaceRoles and their bindings) with the real
//     reconciler of k8s.io/component-helpers: missing objects are created, existing ones
//     gain the bootstrap rules, labels and selectors they lack, unless annotated
//     rbac.authorization.kubernetes.io/autoupdate=false;
//  3. the ClusterRole aggregation controller's sync (copied below, it is unexported) runs
//     over every aggregated ClusterRole until nothing changes: its converged state;
//  4. the authorizer reads the result through static listers.
//
// Input on stdin: {"world": {"roles": [], "clusterRoles": [], "roleBindings": [],
// "clusterRoleBindings": []}, "queries": [{"user", "groups", "verb", "apiGroup",
// "resource", "subresource", "namespace", "name"}]}. Output on stdout, one answer per
// query in order: {"answers": [{"allowed", "allowedWithoutBootstrapBindings", "reason"}]};
// the second answer is the same authorizer over a world without the bootstrap bindings.
// Exit code 3: the aggregation never settles (aggregated ClusterRoles selecting each other
// in a cycle pass their own rules round it for ever, as the controller would): the world
// has no single state to ask about.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/kubernetes/pkg/registry/rbac/validation"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac"
	"k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy"
)

type world struct {
	Roles               []rbacv1.Role               `json:"roles"`
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
}

type query struct {
	User        string   `json:"user"`
	Groups      []string `json:"groups"`
	Verb        string   `json:"verb"`
	APIGroup    string   `json:"apiGroup"`
	Resource    string   `json:"resource"`
	Subresource string   `json:"subresource"`
	Namespace   string   `json:"namespace"`
	Name        string   `json:"name"`
}

type answer struct {
	Allowed                         bool   `json:"allowed"`
	AllowedWithoutBootstrapBindings bool   `json:"allowedWithoutBootstrapBindings"`
	Reason                          string `json:"reason"`
}

func main() {
	var input struct {
		World   world   `json:"world"`
		Queries []query `json:"queries"`
	}
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&input); err != nil {
		fail(fmt.Errorf("reading the input: %w", err))
	}
	full, err := authorizerFor(input.World, true)
	if err != nil {
		fail(err)
	}
	bare, err := authorizerFor(input.World, false)
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	out := struct {
		Answers []answer `json:"answers"`
	}{Answers: make([]answer, 0, len(input.Queries))}
	for _, q := range input.Queries {
		attrs := authorizer.AttributesRecord{
			User:            &user.DefaultInfo{Name: q.User, Groups: q.Groups},
			Verb:            q.Verb,
			Namespace:       q.Namespace,
			APIGroup:        q.APIGroup,
			Resource:        q.Resource,
			Subresource:     q.Subresource,
			Name:            q.Name,
			ResourceRequest: true,
		}
		decision, reason, _ := full.Authorize(ctx, attrs)
		bareDecision, _, _ := bare.Authorize(ctx, attrs)
		out.Answers = append(out.Answers, answer{
			Allowed:                         decision == authorizer.DecisionAllow,
			AllowedWithoutBootstrapBindings: bareDecision == authorizer.DecisionAllow,
			Reason:                          reason,
		})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

var errUnsettled = errors.New("ClusterRole aggregation does not settle")

func fail(err error) {
	fmt.Fprintf(os.Stderr, "rbac-oracle: %v\n", err)
	if errors.Is(err, errUnsettled) {
		os.Exit(3)
	}
	os.Exit(1)
}

// authorizerFor stores the world, reconciles the bootstrap policy into it, aggregates, and
// returns the RBAC authorizer over the result.
func authorizerFor(w world, withBootstrapBindings bool) (*rbac.RBACAuthorizer, error) {
	ctx := context.Background()
	client := fake.NewSimpleClientset() // nolint:staticcheck // the plain object tracker: no managed fields to compute
	rbacClient := client.RbacV1()
	for i := range w.ClusterRoles {
		if _, err := rbacClient.ClusterRoles().Create(ctx, &w.ClusterRoles[i], metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	for i := range w.Roles {
		if _, err := rbacClient.Roles(w.Roles[i].Namespace).Create(ctx, &w.Roles[i], metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	for i := range w.ClusterRoleBindings {
		if _, err := rbacClient.ClusterRoleBindings().Create(ctx, &w.ClusterRoleBindings[i], metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	for i := range w.RoleBindings {
		if _, err := rbacClient.RoleBindings(w.RoleBindings[i].Namespace).Create(ctx, &w.RoleBindings[i], metav1.CreateOptions{}); err != nil {
			return nil, err
		}
	}
	if err := reconcileBootstrap(client, withBootstrapBindings); err != nil {
		return nil, err
	}
	if err := aggregate(ctx, client); err != nil {
		return nil, err
	}
	return readBack(ctx, client)
}

// reconcileBootstrap does what ensureRBACPolicy (pkg/registry/rbac/rest/storage_rbac.go)
// does at every API server start, with the same options.
func reconcileBootstrap(client kubernetes.Interface, withBindings bool) error {
	for _, role := range append(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles()...) {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: &role},
			Client:  reconciliation.ClusterRoleModifier{Client: client.RbacV1().ClusterRoles()},
			Confirm: true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("reconciling clusterrole %s: %w", role.Name, err)
		}
	}
	for _, roles := range bootstrappolicy.NamespaceRoles() {
		for _, role := range roles {
			opts := reconciliation.ReconcileRoleOptions{
				Role:    reconciliation.RoleRuleOwner{Role: &role},
				Client:  reconciliation.RoleModifier{Client: client.RbacV1(), NamespaceClient: client.CoreV1().Namespaces()},
				Confirm: true,
			}
			if _, err := opts.Run(); err != nil {
				return fmt.Errorf("reconciling role %s/%s: %w", role.Namespace, role.Name, err)
			}
		}
	}
	if !withBindings {
		return nil
	}
	for _, binding := range append(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings()...) {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: &binding},
			Client:      reconciliation.ClusterRoleBindingClientAdapter{Client: client.RbacV1().ClusterRoleBindings()},
			Confirm:     true,
		}
		if _, err := opts.Run(); err != nil {
			return fmt.Errorf("reconciling clusterrolebinding %s: %w", binding.Name, err)
		}
	}
	for _, bindings := range bootstrappolicy.NamespaceRoleBindings() {
		for _, binding := range bindings {
			opts := reconciliation.ReconcileRoleBindingOptions{
				RoleBinding: reconciliation.RoleBindingAdapter{RoleBinding: &binding},
				Client:      reconciliation.RoleBindingClientAdapter{Client: client.RbacV1(), NamespaceClient: client.CoreV1().Namespaces()},
				Confirm:     true,
			}
			if _, err := opts.Run(); err != nil {
				return fmt.Errorf("reconciling rolebinding %s/%s: %w", binding.Namespace, binding.Name, err)
			}
		}
	}
	return nil
}

// aggregate runs the aggregation controller's sync over every aggregated ClusterRole, in
// name order, until a whole round changes nothing (the controller resyncs a role whenever
// any ClusterRole changes, so this is the state it converges to).
func aggregate(ctx context.Context, client kubernetes.Interface) error {
	roles := client.RbacV1().ClusterRoles()
	for round := 0; round < 100; round++ {
		list, err := roles.List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		all := list.Items
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		changed := false
		for i := range all {
			role := &all[i]
			if role.AggregationRule == nil {
				continue
			}
			rules, err := aggregatedRules(role, all)
			if err != nil {
				return err
			}
			// The controller compares the lists in order, and two aggregated roles that
			// select each other can swap the order of the same rules for ever; the
			// authorizer only sees the set, so a round that changes no set is a settled one.
			if sameRules(rules, role.Rules) {
				continue
			}
			role.Rules = rules
			if _, err := roles.Update(ctx, role, metav1.UpdateOptions{}); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return nil
		}
	}
	return fmt.Errorf("%w in 100 rounds", errUnsettled)
}

// aggregatedRules is syncClusterRole of pkg/controller/clusterroleaggregation, over a list
// instead of a lister: the union of the rules of every other ClusterRole a selector matches,
// each rule once. The controller tests "once" with equality.Semantic.DeepEqual over the list
// (quadratic in reflection); ruleKey is the same equality, in a map.
func aggregatedRules(role *rbacv1.ClusterRole, all []rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	newPolicyRules := []rbacv1.PolicyRule{}
	seen := map[string]bool{}
	for i := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil, fmt.Errorf("clusterrole %s: %w", role.Name, err)
		}
		for j := range all {
			other := &all[j]
			if other.Name == role.Name || !selector.Matches(labels.Set(other.Labels)) {
				continue
			}
			for _, rule := range other.Rules {
				if key := ruleKey(rule); !seen[key] {
					seen[key] = true
					newPolicyRules = append(newPolicyRules, rule)
				}
			}
		}
	}
	return newPolicyRules, nil
}

// ruleKey identifies a rule as equality.Semantic.DeepEqual compares two: field by field, in
// order, a nil list equal to an empty one.
func ruleKey(rule rbacv1.PolicyRule) string {
	return fmt.Sprintf("%q|%q|%q|%q|%q", rule.Verbs, rule.APIGroups, rule.Resources, rule.ResourceNames,
		rule.NonResourceURLs)
}

// sameRules: the same set of rules, whatever the order.
func sameRules(a, b []rbacv1.PolicyRule) bool {
	keys := func(rules []rbacv1.PolicyRule) map[string]bool {
		out := make(map[string]bool, len(rules))
		for _, rule := range rules {
			out[ruleKey(rule)] = true
		}
		return out
	}
	ka, kb := keys(a), keys(b)
	if len(ka) != len(kb) {
		return false
	}
	for key := range ka {
		if !kb[key] {
			return false
		}
	}
	return true
}

// readBack lists what the store holds and hands it to the authorizer via static listers.
func readBack(ctx context.Context, client kubernetes.Interface) (*rbac.RBACAuthorizer, error) {
	c := client.RbacV1()
	roles, err := c.Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	clusterRoles, err := c.ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	roleBindings, err := c.RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	clusterRoleBindings, err := c.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	_, static := validation.NewTestRuleResolver(pointers(roles.Items), pointers(roleBindings.Items),
		pointers(clusterRoles.Items), pointers(clusterRoleBindings.Items))
	return rbac.New(static, static, static, static), nil
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
