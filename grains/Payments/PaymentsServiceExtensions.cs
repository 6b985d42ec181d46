using Billing.Invoices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

public static partial class PaymentsServiceExtensions
{
    /// <summary>
    /// Money-in for a billing silo: the payment-gateway port (the implementation named by <c>Payments:Gateway</c>;
    /// the sandbox is registered here, a real gateway registers itself as a keyed <see cref="IPaymentGateway"/> under
    /// its name), the invoice and sandbox tables, and the settings, validated when the silo starts.
    /// </summary>
    public static IServiceCollection AddBillingPayments(this IServiceCollection services)
    {
        services.AddOptions<PaymentsOptions>().BindConfiguration(PaymentsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PaymentsOptions>, PaymentsOptionsValidator>();
        services.AddSingleton<PaymentTables>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PaymentTables>());
        services.AddSingleton<PaymentHistory>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PaymentHistory>());
        services.AddSingleton<PaymentSaga>();
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, RetentionStartup>();
        services.AddKeyedSingleton<IPaymentGateway, SandboxGateway>(PaymentsOptions.SandboxGateway);
        services.AddSingleton(sp =>
        {
            var name = sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Gateway;
            return sp.GetKeyedService<IPaymentGateway>(name) ?? throw new InvalidOperationException($"{PaymentsOptions.Section}:Gateway '{name}' names no registered payment gateway.");
        });
        services.AddSingleton<WorkspaceTime>();
        return services;
    }

    /// <summary>Names every wrong Retention setting, so a misconfigured silo refuses to start with a useful message.</summary>
    private sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
    {
        public ValidateOptionsResult Validate(string? name, RetentionOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    /// <summary>Arms the retention sweep's reminder once the silo is active (a no-op when it is armed already).</summary>
    private sealed partial class RetentionStartup(IGrainFactory grains, ILogger<RetentionStartup> logger) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(RetentionStartup), ServiceLifecycleStage.Active, async _ =>
            {
                try
                {
                    await grains.GetGrain<IRetentionGrain>(0).Start();
                }
                catch (Exception e) when (e is OrleansException or TimeoutException or Azure.RequestFailedException)
                {
                    // Another silo arms it too, and the next start tries again: a silo does not refuse to run for it.
                    LogStartFailed(e);
                }
            });

        [LoggerMessage(Level = LogLevel.Warning, Message = "The retention sweep's reminder could not be armed at start-up; another silo or the next start arms it")]
        private partial void LogStartFailed(Exception exception);
    }

    /// <summary>Names every wrong Payments setting, so a misconfigured silo refuses to start with a useful message.</summary>
    private sealed class PaymentsOptionsValidator(IServiceProvider services) : IValidateOptions<PaymentsOptions>
    {
        public ValidateOptionsResult Validate(string? name, PaymentsOptions options)
        {
            var problems = options.Problems().ToList();
            if (!string.IsNullOrWhiteSpace(options.Gateway) && services.GetService<IServiceProviderIsKeyedService>() is { } keyed && !keyed.IsKeyedService(typeof(IPaymentGateway), options.Gateway))
                problems.Add($"{PaymentsOptions.Section}:Gateway '{options.Gateway}' names no registered payment gateway (the product ships '{PaymentsOptions.SandboxGateway}').");
            if (problems.Count > 0)
                return ValidateOptionsResult.Fail(problems);
            InvoiceFonts.Directory = options.InvoiceFontDirectory;
            return ValidateOptionsResult.Success;
        }
    }
}
