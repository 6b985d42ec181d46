using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Billing.Notifications.Delivery;

/// <summary>Where emails go (E4): an SMTP server in production, a folder of <c>.eml</c> files by default.</summary>
public interface IMailTransport
{
    /// <summary>Opens a session for one delivery pass, so a pass with many emails uses one SMTP connection.</summary>
    Task<IMailSession> OpenAsync(CancellationToken cancellationToken);
}

public interface IMailSession : IAsyncDisposable
{
    /// <summary>Sends one message; throws <see cref="MailDeliveryException"/> when it was not accepted.</summary>
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

/// <summary>A delivery that failed. <see cref="Permanent"/>: the server refused the message itself (5xx); retrying the same message cannot help.</summary>
public sealed class MailDeliveryException : Exception
{
    public MailDeliveryException(string message, bool permanent, Exception? inner = null) : base(message, inner) => Permanent = permanent;

    public MailDeliveryException() : this("Mail delivery failed.", false)
    {
    }

    public MailDeliveryException(string message) : this(message, false)
    {
    }

    public MailDeliveryException(string message, Exception innerException) : this(message, false, innerException)
    {
    }

    public bool Permanent { get; }
}

/// <summary>Chooses SMTP when a host is configured, the pickup folder otherwise.</summary>
public sealed class ConfiguredMailTransport(IOptions<NotificationOptions> options) : IMailTransport
{
    private readonly IMailTransport _inner = options.Value.UsesSmtp
        ? new SmtpMailTransport(options.Value.Smtp)
        : new PickupDirectoryMailTransport(options.Value.PickupDirectory);

    public Task<IMailSession> OpenAsync(CancellationToken cancellationToken) => _inner.OpenAsync(cancellationToken);
}

/// <summary>E4: SMTP with MailKit; one connection per delivery pass, opened on the first message.</summary>
public sealed class SmtpMailTransport(SmtpOptions options) : IMailTransport
{
    public Task<IMailSession> OpenAsync(CancellationToken cancellationToken) => Task.FromResult<IMailSession>(new Session(options));

    private sealed class Session(SmtpOptions options) : IMailSession
    {
        private SmtpClient? _client;

        public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            try
            {
                var client = await ConnectedAsync(cancellationToken);
                await client.SendAsync(message, cancellationToken);
            }
            catch (SmtpCommandException e)
            {
                // A 5xx reply to the message or a recipient is the server's final word on it; 4xx is "try later".
                var permanent = (int)e.StatusCode >= 500 && e.ErrorCode is SmtpErrorCode.MessageNotAccepted or SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.SenderNotAccepted;
                await DropAsync();
                throw new MailDeliveryException($"SMTP {(int)e.StatusCode}: {e.Message}", permanent, e);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await DropAsync();
                throw new MailDeliveryException($"{e.GetType().Name}: {e.Message}", false, e);
            }
        }

        private async Task<SmtpClient> ConnectedAsync(CancellationToken cancellationToken)
        {
            if (_client is { IsConnected: true } connected)
                return connected;
            var client = new SmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
            _client = client;
            var security = options.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(options.Host!, options.Port, security, cancellationToken);
            if (!string.IsNullOrEmpty(options.Username))
                await client.AuthenticateAsync(options.Username, options.Password ?? "", cancellationToken);
            return client;
        }

        private async Task DropAsync()
        {
            if (_client is not { } client)
                return;
            _client = null;
            try
            {
                if (client.IsConnected)
                    await client.DisconnectAsync(quit: false);
            }
            catch (Exception e) when (e is IOException or MailKit.ProtocolException or System.Net.Sockets.SocketException)
            {
                // The connection is already broken: nothing to close.
            }
            finally
            {
                client.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is { IsConnected: true } client)
            {
                try
                {
                    await client.DisconnectAsync(quit: true);
                }
                catch (Exception e) when (e is IOException or MailKit.ProtocolException or System.Net.Sockets.SocketException or TimeoutException)
                {
                    // Every message of the pass is already accepted or recorded as failed.
                }
            }

            _client?.Dispose();
            _client = null;
        }
    }
}

/// <summary>
/// E4's local default: each email becomes <c>{directory}/{name}.eml</c>. The name is derived from the outbox message,
/// so a resend after a crash replaces the file instead of adding a second one; the file is written under a temporary
/// name and moved, so a reader never sees half an email.
/// </summary>
public sealed class PickupDirectoryMailTransport(string directory) : IMailTransport
{
    public Task<IMailSession> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        return Task.FromResult<IMailSession>(new Session(directory));
    }

    private sealed class Session(string directory) : IMailSession
    {
        public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            var path = Path.Combine(directory, FileName(message));
            var temp = path + ".tmp";
            try
            {
                await message.WriteToAsync(temp, cancellationToken);
                File.Move(temp, path, overwrite: true);
            }
            catch (IOException e)
            {
                throw new MailDeliveryException($"Pickup folder: {e.Message}", false, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new MailDeliveryException($"Pickup folder: {e.Message}", false, e);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary><c>{date}-{template}-{message id}.eml</c>: sorted by time in a listing, one file per outbox message.</summary>
    public static string FileName(MimeMessage message)
    {
        var id = message.MessageId ?? throw new InvalidOperationException("An outbox email always has a Message-ID.");
        var local = id.Split('@')[0];
        var template = message.Headers[OutboxMail.TemplateHeader] ?? "email";
        return $"{message.Date.UtcDateTime:yyyyMMdd-HHmmss}-{template}-{local}.eml";
    }
}
