import KataConfig

extension SandboxPlan {
    /// The pod's initdata (`cc_init_data`): the disk image the shim wrote, and
    /// the digest that binds it into the confidential guest's measurement.
    public struct InitDataDisk: Sendable, Equatable {
        /// The raw disk (`/run/kata-containers/shared/initdata/<sid>/data.img`),
        /// attached as virtio-blk with `serial=initdata`.
        public var imagePath: String
        /// TDX `mrconfigid`: base64 of the digest fitted to 48 bytes.
        public var tdxMRConfigID: String
        /// SEV-SNP `host-data`: base64 of the digest fitted to 32 bytes.
        public var snpHostData: String

        public init(imagePath: String, tdxMRConfigID: String, snpHostData: String) {
            self.imagePath = imagePath
            self.tdxMRConfigID = tdxMRConfigID
            self.snpHostData = snpHostData
        }

        /// The disk at `imagePath` for `initData` (written from ``InitData/diskImage()``).
        public init(imagePath: String, initData: InitData) {
            self.init(imagePath: imagePath, tdxMRConfigID: initData.tdxMRConfigID, snpHostData: initData.snpHostData)
        }
    }
}
