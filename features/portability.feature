@portability
Feature: Portable infrastructure and one build
  Kaze runs the same software on any cloud or on premises. The shared infrastructure code
  depends on no single cloud provider, and every deployment (each described by its own
  overlay of configuration) runs the same build of each component.

  Background:
    Given the cell under audit

  @KZ-POR-01 @SOC2-CC8.1 @ISO27001-A.8.32 @ISO27001-A.8.9 @NIST-800-53-CM-2 @NIST-800-53-SI-7
  Scenario: Every deployment runs the same build of each component
    When its deployment overlays are analysed
    Then each component runs the same image, identified by the same digest, in every overlay, and no overlay replaces a component's image with one that only it runs

  @KZ-POR-02 @SOC2-CC9.2 @ISO27001-A.5.23 @ISO27001-A.8.9 @NIST-800-53-SA-9 @NIST-800-53-CM-2
  Scenario: The shared infrastructure layers depend on no particular cloud
    When its Terraform modules and Kubernetes base manifests are analysed
    Then no shared Terraform module uses a resource, data source, provider or registry module of one cloud, and the shared Kubernetes base uses no cloud controller's resource and no storage class, snapshot class, CSI driver, ingress class or secret provider tied to one cloud
