using Azure.Data.Tables;

namespace Billing.Storage.Shared;

/// <summary>Where a provider's table lives. One connection string serves every provider; each has its own table.</summary>
public abstract class AzureTableOptions
{
    /// <summary>Azure Storage connection string (Azurite's locally). Ignored when <see cref="ServiceClient"/> is set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A ready client (for managed identity in production); takes precedence over <see cref="ConnectionString"/>.</summary>
    public TableServiceClient? ServiceClient { get; set; }

    /// <summary>The table this provider owns. Letters and digits, starting with a letter, 3 to 63 characters.</summary>
    public abstract string TableName { get; set; }

    public TableClient CreateTableClient()
    {
        var service = ServiceClient ?? new TableServiceClient(ConnectionString);
        return service.GetTableClient(TableName);
    }

    /// <summary>Validation shared by the providers' option validators; returns the problems, empty when valid.</summary>
    public IEnumerable<string> Problems(string settingPrefix)
    {
        if (ServiceClient is null && string.IsNullOrWhiteSpace(ConnectionString))
            yield return $"{settingPrefix}:ConnectionString is required (an Azure Storage connection string; Azurite's locally).";
        if (string.IsNullOrWhiteSpace(TableName) || TableName.Length is < 3 or > 63 || !char.IsAsciiLetter(TableName[0]) || !TableName.All(char.IsAsciiLetterOrDigit))
            yield return $"{settingPrefix}:TableName '{TableName}' is not a valid Azure table name (letters and digits, starting with a letter, 3-63 characters).";
    }
}
