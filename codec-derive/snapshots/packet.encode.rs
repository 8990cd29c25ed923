const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl<'a> _codec::Encode for Packet<'a> {
        const SHAPE: _codec::__private::Shape = _codec::__private::Shape::Struct(
            &[
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "tag",
                        offset: _codec::__private::Some(0usize),
                        width: _codec::__private::None,
                        encoding: "vlq u64",
                    },
                    shape: || _codec::__private::Shape::Int {
                        bytes: 8u8,
                        signed: false,
                    },
                    wire: _codec::__private::FieldWire::Base128 {
                        vlq: true,
                    },
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "flags",
                        offset: _codec::__private::None,
                        width: _codec::__private::None,
                        encoding: "vlq u64",
                    },
                    shape: || _codec::__private::Shape::Int {
                        bytes: 8u8,
                        signed: false,
                    },
                    wire: _codec::__private::FieldWire::Base128 {
                        vlq: true,
                    },
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "channel",
                        offset: _codec::__private::None,
                        width: _codec::__private::None,
                        encoding: "when flags & 1 != 0: vlq u64",
                    },
                    shape: || _codec::__private::Shape::Int {
                        bytes: 8u8,
                        signed: false,
                    },
                    wire: _codec::__private::FieldWire::Base128 {
                        vlq: true,
                    },
                    presence: _codec::__private::FieldPresence::When("flags & 1 != 0"),
                    little: false,
                },
                _codec::__private::FieldShape {
                    layout: _codec::FieldLayout {
                        name: "payload",
                        offset: _codec::__private::None,
                        width: _codec::__private::None,
                        encoding: "rest, &'a[u8]",
                    },
                    shape: || _codec::__private::Shape::Seq(|| _codec::__private::Shape::Int {
                        bytes: 1u8,
                        signed: false,
                    }),
                    wire: _codec::__private::FieldWire::Rest,
                    presence: _codec::__private::FieldPresence::Always,
                    little: false,
                },
            ],
        );
        #[inline]
        fn encoded_len(&self) -> _codec::__private::usize {
            0 + _codec::__private::base128_len::<u64>(&self.tag)
                + _codec::__private::base128_len::<u64>(&self.flags)
                + match &self.channel {
                    _codec::__private::Some(__v) => {
                        _codec::__private::base128_len::<u64>(__v)
                    }
                    _codec::__private::None => 0,
                } + <&'a [u8] as _codec::EncodeSeq>::seq_encoded_len(&self.payload)
        }
        #[inline]
        fn encode_with<__S: _codec::Sink + ?_codec::__private::Sized>(
            &self,
            __buf: &mut __S,
            _: _codec::Endian,
        ) -> _codec::__private::Result<(), _codec::EncodeError> {
            _codec::__private::encode_ctx(
                {
                    _codec::__private::write_base128::<u64, _>(*&self.tag, __buf, true);
                    _codec::__private::Ok(())
                },
                "Packet",
                "tag",
            )?;
            _codec::__private::encode_ctx(
                {
                    _codec::__private::write_base128::<
                        u64,
                        _,
                    >(*&self.flags, __buf, true);
                    _codec::__private::Ok(())
                },
                "Packet",
                "flags",
            )?;
            _codec::__private::encode_ctx(
                match (
                    {
                        let flags = _codec::__private::Clone::clone(&self.flags);
                        flags & 1 != 0
                    },
                    &self.channel,
                ) {
                    (true, _codec::__private::Some(__v)) => {
                        _codec::__private::write_base128::<u64, _>(*__v, __buf, true);
                        _codec::__private::Ok(())
                    }
                    (false, _codec::__private::None) => _codec::__private::Ok(()),
                    (__p, _) => {
                        _codec::__private::Err(_codec::__private::when_mismatch(__p))
                    }
                },
                "Packet",
                "channel",
            )?;
            _codec::__private::encode_ctx(
                <&'a [u8] as _codec::EncodeSeq>::encode_seq(
                    &self.payload,
                    __buf,
                    _codec::Endian::Big,
                ),
                "Packet",
                "payload",
            )?;
            _codec::__private::Ok(())
        }
    }
};
