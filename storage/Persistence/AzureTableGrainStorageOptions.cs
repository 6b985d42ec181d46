using Billing.Storage.Shared;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Billing.Storage.Persistence;

/// <summary>Options of one named <see cref="AzureTableGrainStorage"/>.</summary>
public sealed class AzureTableGrainStorageOptions : AzureTableOptions, IStorageProviderSerializerOptions
{
    public const string DefaultTableName = "GrainState";

    public override string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// How grain state becomes bytes. When left unset, the silo's registered <see cref="IGrainStorageSerializer"/> is
    /// filled in by Orleans' <see cref="DefaultStorageProviderSerializerOptionsConfigurator{TOptions}"/>.
    /// </summary>
    public IGrainStorageSerializer? GrainStorageSerializer { get; set; }

    // Orleans declares the property non-nullable, yet its default configurator reads it through this interface to see
    // whether it is still unset, so null has to pass through; the validator refuses a silo that ends up without one.
    IGrainStorageSerializer IStorageProviderSerializerOptions.GrainStorageSerializer
    {
        get => GrainStorageSerializer!;
        set => GrainStorageSerializer = value;
    }
}

/// <summary>Refuses to start a silo whose grain storage options are incomplete, naming the setting at fault.</summary>
public sealed class AzureTableGrainStorageOptionsValidator(AzureTableGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var prefix = SettingPrefix(name);
        var problems = options.Problems(prefix).ToList();
        if (options.GrainStorageSerializer is null)
            problems.Add($"{prefix}:GrainStorageSerializer is required (register an IGrainStorageSerializer in the silo or set one explicitly).");
        if (problems.Count > 0)
            throw new OrleansConfigurationException($"Azure table grain storage '{name}' is misconfigured: {string.Join(" ", problems)}");
    }

    internal static string SettingPrefix(string name) => $"{nameof(AzureTableGrainStorageOptions)}[{name}]";
}

/// <summary>
/// Formats the options for Orleans' start-up log. The default formatter would print the connection string, account key
/// included, because the shared <see cref="AzureTableOptions"/> cannot carry Orleans' <c>[Redact]</c> attribute.
/// </summary>
internal sealed class AzureTableGrainStorageOptionsFormatterResolver(IOptionsMonitor<AzureTableGrainStorageOptions> monitor)
    : IOptionFormatterResolver<AzureTableGrainStorageOptions>
{
    public IOptionFormatter<AzureTableGrainStorageOptions> Resolve(string name) => new Formatter(name, monitor.Get(name));

    private sealed class Formatter(string name, AzureTableGrainStorageOptions options) : IOptionFormatter<AzureTableGrainStorageOptions>
    {
        public string Name { get; } = OptionFormattingUtilities.Name<AzureTableGrainStorageOptions>(name);

        public IEnumerable<string> Format() =>
        [
            OptionFormattingUtilities.Format(nameof(options.TableName), options.TableName),
            OptionFormattingUtilities.Format(nameof(options.ConnectionString), RedactConnectionString(options.ConnectionString)),
            OptionFormattingUtilities.Format(nameof(options.ServiceClient), options.ServiceClient is { } client ? $"account {client.AccountName}" : "(not set)"),
            OptionFormattingUtilities.Format(nameof(options.GrainStorageSerializer), options.GrainStorageSerializer?.GetType().FullName ?? "(not set)"),
        ];

        // Keeps only the parts that say which account and endpoint are used; keys and signatures never reach the log.
        private static string RedactConnectionString(string? connectionString)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                return "(not set)";
            var kept = connectionString
                .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(part => part.StartsWith("AccountName=", StringComparison.OrdinalIgnoreCase)
                    || part.StartsWith("UseDevelopmentStorage=", StringComparison.OrdinalIgnoreCase)
                    || part.Split('=', 2)[0].EndsWith("Endpoint", StringComparison.OrdinalIgnoreCase));
            return $"{string.Join(";", kept)};(credentials redacted)";
        }
    }
}
