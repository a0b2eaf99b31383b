@mtls
Feature: Mutually authenticated, encrypted traffic
  Every connection inside a cell and between cells is encrypted, and both ends prove who they
  are with certificates (mutual TLS). Inside a cell, a service mesh does this: a proxy runs
  next to each workload and handles its connections.

  Background:
    Given the cell under audit

  @KZ-MTL-01 @SOC2-CC6.1 @SOC2-CC6.7 @ISO27001-A.8.20 @ISO27001-A.8.21 @ISO27001-A.8.24 @NIST-800-53-SC-8 @NIST-800-53-SC-8(1) @NIST-800-53-IA-3
  Scenario: Every namespace is enrolled in the service mesh and no workload opts out
    When its namespaces and workloads are analysed
    Then every namespace except the mesh's own control-plane namespace turns the mesh on for its pods, and no workload opts its pods out of the mesh

  @KZ-MTL-02 @SOC2-CC6.1 @SOC2-CC6.7 @ISO27001-A.8.20 @ISO27001-A.8.21 @ISO27001-A.8.24 @NIST-800-53-SC-8 @NIST-800-53-SC-8(1) @NIST-800-53-IA-3 @NIST-800-53-AC-4
  Scenario: No traffic bypasses the mesh proxy and no proxy accepts unauthenticated clients
    When its mesh proxy settings and mesh policies are analysed
    Then no namespace or workload lets any port, address range or network interface bypass the mesh proxy, no proxy setting or mesh policy admits clients without a mesh identity, and every Linkerd-meshed namespace sets its default inbound policy explicitly

  @KZ-MTL-03 @SOC2-CC6.1 @SOC2-CC6.7 @SOC2-CC7.1 @ISO27001-A.8.20 @ISO27001-A.8.21 @ISO27001-A.8.24 @NIST-800-53-SC-8 @NIST-800-53-SC-8(1) @NIST-800-53-IA-3 @NIST-800-53-CA-7
  Scenario: In the running cluster every meshed pod has its proxy and every service port demands a client certificate
    When its running pods and service ports are analysed
    Then every running pod of a meshed namespace runs the mesh proxy, and no service port tested by the live probe accepts plaintext connections or TLS connections without a client certificate

  @KZ-MTL-04 @SOC2-CC6.1 @SOC2-CC6.6 @SOC2-CC6.7 @ISO27001-A.5.14 @ISO27001-A.8.20 @ISO27001-A.8.21 @ISO27001-A.8.24 @NIST-800-53-SC-7 @NIST-800-53-SC-8 @NIST-800-53-SC-8(1) @NIST-800-53-IA-3
  Scenario: Traffic from other cells enters only through gateways that require mutual TLS
    When its ingresses, gateways and services are analysed
    Then every entry point for traffic from other cells, and every other ingress that serves its host or routes to its backend, terminates TLS and requires a valid client certificate on every listener, and no service for that traffic is exposed outside the cluster directly
