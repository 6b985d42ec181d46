namespace Billing.Api;

/// <summary>
/// Names this assembly for <c>WebApplicationFactory</c> in the tests (the silo's top-level <c>Program</c> would
/// clash with the API's there).
/// </summary>
public sealed class ApiEntryPoint;
