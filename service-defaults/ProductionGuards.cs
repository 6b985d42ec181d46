using Microsoft.Extensions.Hosting;

namespace Billing.Hosting;

/// <summary>
/// The settings a process must not run on outside local development: each rule answers the problem in words that name
/// the setting to change, or null. Pure (values in, sentences out) so the rules are unit-tested without a host; the
/// silo and the API read their configuration, ask these rules and refuse to start on any answer
/// (<see cref="ThrowIfAny"/>). The in-process test clusters do not pass through them.
/// </summary>
public static class ProductionGuards
{
    /// <summary>The environment the tests run their in-process hosts in (Azurite, test tokens): guarded like Development.</summary>
    public const string TestingEnvironment = "Testing";

    /// <summary>The issuer <c>dotnet user-jwts</c> signs local tokens as, with a key kept in the developer's user secrets.</summary>
    public const string DevelopmentTokenIssuer = "dotnet-user-jwts";

    /// <summary>The account name of Azurite and the storage emulator, whose key is published.</summary>
    public const string DevelopmentStorageAccount = "devstoreaccount1";

    /// <summary>Whether the guards apply: in every environment except Development and the tests' own.</summary>
    public static bool Apply(IHostEnvironment environment) =>
        !environment.IsDevelopment() && !environment.IsEnvironment(TestingEnvironment);

    /// <summary>Development storage (Azurite, the emulator): a well-known key, no durability, nobody's data.</summary>
    public static string? DevelopmentStorage(string? connectionString, string? tableServiceUri)
    {
        if (connectionString is not null
            && (connectionString.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
                || connectionString.Contains("AccountName=" + DevelopmentStorageAccount, StringComparison.OrdinalIgnoreCase)))
            return $"Storage:ConnectionString points at development storage (UseDevelopmentStorage or {DevelopmentStorageAccount}): set Storage:TableServiceUri to the real account instead.";
        if (tableServiceUri is not null && tableServiceUri.Contains(DevelopmentStorageAccount, StringComparison.OrdinalIgnoreCase))
            return $"Storage:TableServiceUri points at development storage ({DevelopmentStorageAccount}): set it to the real account, https://<account>.table.core.windows.net.";
        return null;
    }

    /// <summary>
    /// The sandbox gateway takes no real money and lets operators move test clocks: a deployment runs on it only when it
    /// says so (a test environment), never because <c>Payments:Gateway</c> was forgotten (the sandbox is its default).
    /// </summary>
    public static string? SandboxGateway(string gateway, string sandboxGatewayName, bool allowSandbox) =>
        string.Equals(gateway, sandboxGatewayName, StringComparison.Ordinal) && !allowSandbox
            ? $"Payments:Gateway is the sandbox ('{sandboxGatewayName}'), which takes no real money: name the real gateway in Payments:Gateway, or set Payments:AllowSandbox=true for a test environment."
            : null;

    /// <summary>Tokens of <c>dotnet user-jwts</c> are signed with a key on a developer's machine, not by the users' OIDC issuer.</summary>
    public static string? DevelopmentIssuer(IEnumerable<string?> validIssuers) =>
        validIssuers.Any(i => string.Equals(i?.Trim(), DevelopmentTokenIssuer, StringComparison.OrdinalIgnoreCase))
            ? $"Authentication:Schemes:Bearer:ValidIssuer is '{DevelopmentTokenIssuer}' (local development tokens): set it (and Authentication:Schemes:Bearer:Authority) to the users' OIDC issuer."
            : null;

    /// <summary>Without the secret the gateway signs webhooks with, no wire transfer could ever clear (M2).</summary>
    public static string? MissingWebhookSecret(string? secret) =>
        string.IsNullOrWhiteSpace(secret)
            ? "Payments:Webhook:Secret is not set: give the secret the payment gateway signs its webhooks with (at least 16 characters)."
            : null;

    /// <summary>Refuses to start, naming every problem at once, when any rule answered.</summary>
    public static void ThrowIfAny(string process, IHostEnvironment environment, IEnumerable<string?> problems)
    {
        var found = problems.OfType<string>().ToList();
        if (found.Count == 0)
            return;
        throw new InvalidOperationException(
            $"The {process} refuses to start in the '{environment.EnvironmentName}' environment:{Environment.NewLine}"
            + string.Join(Environment.NewLine, found.Select(p => " - " + p))
            + $"{Environment.NewLine}(These checks apply outside Development; local runs set ASPNETCORE_ENVIRONMENT=Development.)");
    }
}
