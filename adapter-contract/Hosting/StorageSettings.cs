using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace Billing.Hosting;

/// <summary>
/// The one storage account of the system (section <c>Storage</c>), in exactly one of two forms: a connection string
/// (Azurite locally, or an account key) or the account's table endpoint, signed in with <c>DefaultAzureCredential</c>
/// (a managed identity in Azure). Grain state, reminders, cluster membership and the product's tables all live there.
/// </summary>
public sealed class StorageSettings
{
    public const string Section = "Storage";

    /// <summary><c>Storage:ConnectionString</c>: e.g. <c>UseDevelopmentStorage=true</c> for Azurite on its default port.</summary>
    public string? ConnectionString { get; set; }

    /// <summary><c>Storage:TableServiceUri</c>: e.g. <c>https://myaccount.table.core.windows.net</c>, no key in it.</summary>
    public string? TableServiceUri { get; set; }

    /// <summary>Every problem, each naming its setting; empty when the settings are usable.</summary>
    public IEnumerable<string> Problems()
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        var hasUri = !string.IsNullOrWhiteSpace(TableServiceUri);
        if (hasConnectionString == hasUri)
        {
            yield return hasUri
                ? $"{Section}:ConnectionString and {Section}:TableServiceUri are both set: set exactly one."
                : $"{Section}:ConnectionString or {Section}:TableServiceUri is required: a connection string ('UseDevelopmentStorage=true' for Azurite) or the account's table endpoint (https://<account>.table.core.windows.net, signed in with DefaultAzureCredential).";
            yield break;
        }

        if (hasUri && (!Uri.TryCreate(TableServiceUri, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))))
            yield return $"{Section}:TableServiceUri '{TableServiceUri}' is not an https URI of a table endpoint (http only on loopback).";

        if (hasConnectionString && !IsWellFormed(ConnectionString!))
            yield return $"{Section}:ConnectionString is not a connection string (key=value pairs separated by ';').";
    }

    /// <summary>Binds the section and refuses unusable settings, naming them, so a process fails at start-up rather than at its first request.</summary>
    public static StorageSettings From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = configuration.GetSection(Section).Get<StorageSettings>() ?? new StorageSettings();
        var problems = settings.Problems().ToList();
        return problems.Count == 0 ? settings : throw new InvalidOperationException(string.Join(" ", problems));
    }

    private static bool IsWellFormed(string connectionString)
    {
        try
        {
            var pairs = new DbConnectionStringBuilder { ConnectionString = connectionString };
            return pairs.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
