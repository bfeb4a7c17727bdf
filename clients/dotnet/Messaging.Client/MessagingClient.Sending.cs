using Messaging.Contracts;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace Messaging.Client;

public sealed partial class MessagingClient
{
    /// <summary>How many times <see cref="SendToConversationAsync"/> refetches the devices after <c>devices-changed</c>.</summary>
    private const int MaxDeviceRefreshes = 3;

    /// <summary>How long to let the Reconnecting/Closed handlers catch up with a connection state that already changed.</summary>
    private static readonly TimeSpan StatePollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Sends one message: <paramref name="copies"/> must hold exactly one ciphertext for each current device of every
    /// member except this device. Returns once the server has stored the whole batch durably. If the connection
    /// drops, waits for it to come back and retries with the same message id (the server answers a repeat with the
    /// same acknowledgement), within <see cref="MessagingClientOptions.HubCallTimeout"/> and
    /// <see cref="MessagingClientOptions.HubCallMaxAttempts"/>.
    /// </summary>
    /// <exception cref="MessagingException">
    /// The hub's error code (<see cref="MessagingException.HubError"/> lists the devices for
    /// <see cref="ErrorCodes.DevicesChanged"/>), or <see cref="ClientErrorCodes.Unavailable"/>: the message may or may
    /// not be stored, so retry later with the same <paramref name="messageId"/>.
    /// </exception>
    public Task<SendAck> SendAsync(
        Guid conversationId, Guid messageId, IReadOnlyList<OutgoingCopy> copies, CancellationToken cancellationToken = default) =>
        SendCoreAsync(conversationId, messageId, copies, direct: false, cancellationToken);

    /// <summary>
    /// Sends a direct message (a receipt, a notice, a resend) to some devices of the conversation only; the server
    /// does not ask for the complete device list. Same retry rules as <see cref="SendAsync(Guid, Guid, IReadOnlyList{OutgoingCopy}, CancellationToken)"/>.
    /// </summary>
    public Task<SendAck> SendDirectAsync(
        Guid conversationId, Guid messageId, IReadOnlyList<OutgoingCopy> copies, CancellationToken cancellationToken = default) =>
        SendCoreAsync(conversationId, messageId, copies, direct: true, cancellationToken);

    private async Task<SendAck> SendCoreAsync(
        Guid conversationId, Guid messageId, IReadOnlyList<OutgoingCopy> copies, bool direct, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(copies);
        if (messageId == Guid.Empty)
        {
            throw new ArgumentException("A message id is required; see NewMessageId.", nameof(messageId));
        }

        var request = new SendRequest { ConversationId = conversationId, MessageId = messageId, Copies = [.. copies], Direct = direct };
        var result = await InvokeHubAsync<SendResult>(HubMethods.Send, request, cancellationToken);
        if (result.Error is { } error)
        {
            throw Errors.Hub(HubMethods.Send, error);
        }

        return result.Ack ?? throw Errors.InvalidResponse(HubMethods.Send);
    }

    /// <summary>
    /// Sends one message to every current device of a conversation except this one (the sender's other devices
    /// included). <paramref name="sealForDevice"/> encrypts the payload for one device; it is called once per device
    /// and message, even when the device list changed under the send and it is retried (at most
    /// three times, with the same message id). Pass <paramref name="messageId"/> (a UUIDv7, see
    /// <see cref="NewMessageId"/>) to be able to retry the whole call safely; a new id is chosen when absent.
    /// </summary>
    public async Task<SendAck> SendToConversationAsync(
        Guid conversationId,
        Func<DeviceInfo, byte[]> sealForDevice,
        Guid? messageId = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sealForDevice);
        var id = messageId ?? NewMessageId();
        var sealedFor = new Dictionary<Guid, (byte[] Identity, byte[] Ciphertext)>();
        for (var refresh = 0; ; refresh++)
        {
            var devices = await GetConversationDevicesAsync(conversationId, cancellationToken);
            var copies = new List<OutgoingCopy>(devices.Devices.Count);
            foreach (var device in devices.Devices)
            {
                if (device.DeviceId == DeviceId)
                {
                    continue;
                }

                if (!sealedFor.TryGetValue(device.DeviceId, out var known) || !known.Identity.AsSpan().SequenceEqual(device.Identity))
                {
                    known = (device.Identity, sealForDevice(device));
                    sealedFor[device.DeviceId] = known;
                }

                copies.Add(new OutgoingCopy { DeviceId = device.DeviceId, Ciphertext = known.Ciphertext });
            }

            try
            {
                return await SendAsync(conversationId, id, copies, cancellationToken);
            }
            catch (MessagingException e) when (e.Code == ErrorCodes.DevicesChanged && refresh < MaxDeviceRefreshes)
            {
                Log.DevicesChanged(
                    _logger, conversationId, e.HubError?.MissingDevices?.Count ?? 0, e.HubError?.ExtraDevices?.Count ?? 0, refresh + 1);
            }
        }
    }

    /// <summary>
    /// Invokes an idempotent hub method, riding out dropped connections: a failure that is not an answer from the
    /// server is retried once the connection is back, within the configured budget.
    /// </summary>
    private async Task<T> InvokeHubAsync<T>(string method, object request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Volatile.Read(ref _started) == 0)
        {
            throw Errors.NotConnected();
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetimeToken);
        budget.CancelAfter(_options.HubCallTimeout);
        Exception? lastFailure = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WaitUntilConnectedAsync(budget.Token);
                return await _hub.InvokeAsync<T>(method, request, budget.Token);
            }
            catch (HubException e)
            {
                // The server received the call and its method threw: not a transport problem, so no retry.
                throw Errors.HubMethodFailed(method, e);
            }
            catch (MessagingException)
            {
                throw; // the client failed for good
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception) when (_lifetimeToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(MessagingClient));
            }
            catch (Exception e) when (budget.IsCancellationRequested || attempt >= _options.HubCallMaxAttempts)
            {
                throw Errors.Unavailable(method, lastFailure ?? e);
            }
            catch (Exception e)
            {
                lastFailure = e;
                Log.HubCallRetry(_logger, method, attempt, e);
            }

            try
            {
                await Task.Delay(_options.ReconnectBackoff.GetDelay(attempt - 1), budget.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_lifetimeToken.IsCancellationRequested)
            {
                throw Errors.Unavailable(method, lastFailure);
            }
        }
    }

    private async Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        while (_hub.State != HubConnectionState.Connected)
        {
            var signal = _connected.WaitAsync(cancellationToken);
            if (signal.IsCompletedSuccessfully)
            {
                // The connection was lost but its Reconnecting/Closed handler has not closed the gate yet.
                await Task.Delay(StatePollInterval, cancellationToken);
            }
            else
            {
                await signal;
            }
        }
    }
}
