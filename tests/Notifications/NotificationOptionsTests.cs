using Billing.Notifications;

namespace Billing.Tests.Notifications;

/// <summary>A misconfigured silo refuses to start with a message naming the setting (STYLE habit 7).</summary>
public sealed class NotificationOptionsTests
{
    [Fact]
    public void The_defaults_write_to_the_pickup_folder_and_are_valid()
    {
        var options = new NotificationOptions();
        Assert.Empty(options.Problems());
        Assert.False(options.UsesSmtp);
        Assert.Equal("localhost", options.EffectiveMessageIdDomain);
        Assert.Equal(NotificationOptions.DefaultRetryDelays, options.EffectiveRetryDelays);
    }

    [Fact]
    public void Azure_communication_services_settings_are_valid()
    {
        var options = new NotificationOptions
        {
            FromAddress = "DoNotReply@mail.example.com",
            PortalBaseUrl = "https://portal.example.com",
            Smtp = new SmtpOptions { Host = "smtp.azurecomm.net", Port = 587, Security = SmtpSecurity.StartTls, Username = "billing-smtp", Password = "secret" },
        };
        Assert.Empty(options.Problems());
        Assert.True(options.UsesSmtp);
        Assert.Equal("mail.example.com", options.EffectiveMessageIdDomain);
    }

    [Theory]
    [InlineData("PortalBaseUrl")]
    [InlineData("FromAddress")]
    [InlineData("MaxAttempts")]
    [InlineData("RetryDelays")]
    [InlineData("Smtp:Port")]
    [InlineData("Smtp:Username")]
    [InlineData("Smtp:Timeout")]
    public void Each_wrong_setting_is_named(string setting)
    {
        var options = new NotificationOptions { Smtp = new SmtpOptions { Host = "smtp.example.com" } };
        switch (setting)
        {
            case "PortalBaseUrl": options.PortalBaseUrl = "portal"; break;
            case "FromAddress": options.FromAddress = "not an address"; break;
            case "MaxAttempts": options.MaxAttempts = 0; break;
            case "RetryDelays": options.RetryDelays = [TimeSpan.Zero]; break;
            case "Smtp:Port": options.Smtp.Port = 0; break;
            case "Smtp:Username": options.Smtp.Username = "only-a-name"; break;
            case "Smtp:Timeout": options.Smtp.Timeout = TimeSpan.Zero; break;
        }

        var problem = Assert.Single(options.Problems());
        Assert.Contains($"Notifications:{setting}", problem, StringComparison.Ordinal);
    }
}
