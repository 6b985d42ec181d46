using Billing.Invoices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

public static class PaymentsServiceExtensions
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
        services.AddKeyedSingleton<IPaymentGateway, SandboxGateway>(PaymentsOptions.SandboxGateway);
        services.AddSingleton(sp =>
        {
            var name = sp.GetRequiredService<IOptions<PaymentsOptions>>().Value.Gateway;
            return sp.GetKeyedService<IPaymentGateway>(name) ?? throw new InvalidOperationException($"{PaymentsOptions.Section}:Gateway '{name}' names no registered payment gateway.");
        });
        services.AddSingleton<WorkspaceTime>();
        return services;
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
