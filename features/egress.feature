@egress
Feature: Outbound traffic filtering
  Agents may connect outside the cell only to destinations that their tenant or its industry
  vertical has put on an allowlist, each entry with an owner and a reason. The network and
  the check before each agent tool call enforce the same lists.

  Background:
    Given the cell under audit

  @KZ-EGR-01 @SOC2-CC6.6 @ISO27001-A.8.20 @ISO27001-A.8.22 @ISO27001-A.8.23 @NIST-800-53-SC-7 @NIST-800-53-SC-7(5) @NIST-800-53-AC-4 @CIS-5.3.2
  Scenario: Tenant workloads reach outside the cluster only allowlisted endpoints
    When its network policies are analysed
    Then every workload of a tenant can reach outside the cluster only destinations and ports on its tenant's or vertical's allowlist, and can send DNS queries only to the cluster DNS

  @KZ-EGR-02 @SOC2-CC6.6 @ISO27001-A.8.20 @ISO27001-A.8.22 @NIST-800-53-SC-7(5) @NIST-800-53-AC-4
  Scenario: No outbound rule in a tenant or shared namespace is open to every destination
    When its network policies are analysed
    Then no network policy of a tenant or shared-plane namespace has an outbound rule to every address or without any destination

  @KZ-EGR-03 @SOC2-CC6.6 @SOC2-CC8.1 @ISO27001-A.8.9 @ISO27001-A.8.20 @NIST-800-53-SC-7(5) @NIST-800-53-CM-6
  Scenario: Every allowlist entry is owned, explained and narrow
    When its egress allowlists are analysed
    Then every allowlist entry has a non-blank owner and reason, every address range is a valid network no wider than a /24 for IPv4 or a /48 for IPv6, and no entry opens the node itself or a cloud metadata service, covers a public domain suffix under which anyone can register names, or is a host name that reads as an address

  @KZ-EGR-04 @SOC2-CC6.6 @ISO27001-A.8.20 @ISO27001-A.8.23 @NIST-800-53-SC-7(5) @NIST-800-53-AC-4
  Scenario: The agents' URL check can match every allowlist entry exactly
    When its egress allowlists are analysed
    Then every allowlist entry is written so that the URL check before an agent tool call can match it exactly: host names in lowercase, a wildcard only as the whole leftmost label, and address ranges that parse
