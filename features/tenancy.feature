@tenancy
Feature: Tenant isolation
  A Kaze cell serves several tenants. Each tenant's namespaces, network, permissions, data
  and share of the cell's resources are its own: no tenant can see, reach or starve another.

  Background:
    Given the cell under audit

  @KZ-TEN-01 @SOC2-CC6.1 @ISO27001-A.5.15 @ISO27001-A.8.22 @NIST-800-53-AC-4 @NIST-800-53-SC-7 @CIS-5.2.1 @CIS-5.7.1
  Scenario: Every namespace is assigned to a tenant or a plane, and tenant namespaces enforce the restricted Pod Security Standard
    When its namespaces are analysed
    Then every namespace is labelled with the tenant that owns it or with its plane (shared or system), and every tenant namespace enforces the restricted Pod Security Standard

  @KZ-TEN-02 @SOC2-CC6.1 @SOC2-CC6.6 @ISO27001-A.8.20 @ISO27001-A.8.22 @NIST-800-53-SC-7 @NIST-800-53-AC-4 @CIS-5.3.2
  Scenario: Every tenant namespace blocks all network traffic unless a policy allows it
    When its network policies are analysed
    Then every tenant namespace has, for incoming and for outgoing traffic, a network policy that selects all of its pods and allows nothing

  @KZ-TEN-03 @SOC2-CC6.1 @SOC2-CC6.6 @ISO27001-A.8.20 @ISO27001-A.8.22 @NIST-800-53-SC-7 @NIST-800-53-AC-4 @CIS-5.3.2
  Scenario: No tenant can reach another tenant's workloads over the network
    When its network policies are analysed
    Then no workload of one tenant can reach a workload of another tenant

  @KZ-TEN-04 @SOC2-CC6.1 @ISO27001-A.5.15 @ISO27001-A.8.3 @NIST-800-53-SC-4 @NIST-800-53-AC-4 @NIST-800-53-AC-6
  Scenario: Each tenant's databases, storage, secrets and identities belong to that tenant alone
    When its databases, volumes, secrets and workload identities are analysed
    Then every tenant has a database cluster of its own, no tenant's workload points at another tenant's database, no storage backs the volumes of two tenants, no tenant's namespace receives another tenant's secrets or client keys, and no Vault role or cloud identity is bound to more than one tenant

  @KZ-TEN-05 @SOC2-CC6.1 @SOC2-CC6.8 @ISO27001-A.8.2 @ISO27001-A.8.9 @NIST-800-53-AC-6 @NIST-800-53-CM-7 @NIST-800-53-SC-39 @CIS-5.2.2 @CIS-5.2.3 @CIS-5.2.4 @CIS-5.2.5 @CIS-5.2.9 @CIS-5.2.11 @CIS-5.2.12
  Scenario: No tenant or shared-plane workload can reach into the node it runs on
    When its workloads and persistent volumes are analysed
    Then no workload of a tenant or shared-plane namespace shares the node's network, process space or inter-process communication, runs a privileged or Windows host-process container, adds Linux capabilities, or mounts a directory of the node

  @KZ-TEN-06 @SOC2-A1.1 @ISO27001-A.8.6 @NIST-800-53-SC-5 @NIST-800-53-SC-6
  Scenario: Every tenant namespace has a capped share of the cell's resources
    When its resource quotas and limit ranges are analysed
    Then every tenant namespace has a resource quota with hard limits and a limit range that sets at least one limit

  @KZ-TEN-07 @SOC2-CC6.1 @SOC2-CC6.3 @ISO27001-A.5.15 @ISO27001-A.5.18 @ISO27001-A.8.2 @NIST-800-53-AC-3 @NIST-800-53-AC-6
  Scenario: No role binding in a tenant's namespace grants anything to another tenant
    When its role bindings are analysed
    Then no role binding in a tenant's namespace names a service account of another tenant, or a group that holds every tenant's service accounts

  @KZ-TEN-08 @SOC2-CC6.1 @ISO27001-A.5.15 @ISO27001-A.8.3 @NIST-800-53-AC-3 @NIST-800-53-AC-4 @NIST-800-53-SC-4
  Scenario: Shared databases enforce tenant separation in the database itself
    When its shared databases are analysed
    Then every table with a tenant_id column in a database shared by tenants has row-level security turned on and also enforced against the table's owner
