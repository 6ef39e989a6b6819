mod support;

use aio_reactor::net::UdpSocket;
use support::block_on;

#[test]
fn udp_send_to_recv_from_round_trip() {
    block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        for i in 0..20u8 {
            let msg = [i; 100];
            assert_eq!(a.send_to(&msg, b_addr).await.unwrap(), 100);
            let mut buf = [0u8; 200];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (100, a_addr));
            assert_eq!(&buf[..n], &msg);
            b.send_to(&buf[..n], from.to_string()).await.unwrap();
            let (n, from) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!((n, from), (100, b_addr));
        }
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);
        a.send(b"connected").await.unwrap();
        let mut buf = [0u8; 32];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");
    });
}
