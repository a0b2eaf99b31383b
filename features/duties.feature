@duties
Feature: Separation of duties and operator access
  No single person or account can both change what runs and read the secrets it runs with,
  or hold unlimited power over the cluster. Operators reach databases and customer cells only
  through recorded, time-limited paths: the bastion host and the single sign-on VPN.

  Background:
    Given the cell under audit

  @KZ-SOD-01 @SOC2-CC6.1 @SOC2-CC6.3 @SOC2-CC8.1 @ISO27001-A.5.3 @ISO27001-A.5.15 @ISO27001-A.8.2 @NIST-800-53-AC-5 @NIST-800-53-AC-6 @CIS-5.1.2
  Scenario: No one can both deploy and read production secrets
    When its role bindings and Vault policies are analysed
    Then no person, team or account, other than the break-glass group and platform controllers that do not deploy, can both deploy workloads and read production secrets in Kubernetes or Vault

  @KZ-SOD-02 @SOC2-CC6.1 @SOC2-CC6.3 @ISO27001-A.5.3 @ISO27001-A.5.15 @ISO27001-A.8.2 @NIST-800-53-AC-5 @NIST-800-53-AC-6 @NIST-800-53-AC-6(5) @CIS-5.1.1 @CIS-5.1.3
  Scenario: Unlimited cluster rights are held only by the break-glass group
    When its role bindings are analysed
    Then cluster-admin and every other role that allows every action on every resource are bound to no one but the break-glass group, apart from Kubernetes' own binding to system:masters

  @KZ-SOD-03 @SOC2-CC6.1 @SOC2-CC6.3 @ISO27001-A.5.3 @ISO27001-A.5.15 @ISO27001-A.8.2 @NIST-800-53-AC-5 @NIST-800-53-AC-6 @NIST-800-53-AC-6(5) @CIS-5.1.8
  Scenario: Only platform controllers and break-glass can escalate, impersonate or open a shell in a pod
    When its roles and role bindings are analysed
    Then only the platform's own controllers, the break-glass group and Kubernetes' own system:masters group may escalate or bind roles, impersonate other users, or exec, attach or port-forward into running pods

  @KZ-SOD-04 @SOC2-CC6.1 @SOC2-CC6.6 @ISO27001-A.8.2 @ISO27001-A.8.20 @ISO27001-A.8.22 @NIST-800-53-AC-17 @NIST-800-53-SC-7 @NIST-800-53-AC-4
  Scenario: No database offers a way in that bypasses the bastion
    When its database services and managed databases are analysed
    Then no database service is exposed outside the cluster by a load balancer, a node port or an external IP, no database operator is asked to create such a service, and no managed cloud database is publicly accessible

  @KZ-SOD-05 @SOC2-CC6.1 @SOC2-CC6.2 @ISO27001-A.8.5 @ISO27001-A.8.2 @NIST-800-53-AC-12 @NIST-800-53-AC-17 @NIST-800-53-IA-2
  Scenario: Operator VPN sessions require single sign-on and end after a few hours
    When its operator VPN configurations are analysed
    Then every operator VPN requires a single sign-on login and ends each session within the configured limit, 4 hours by default
